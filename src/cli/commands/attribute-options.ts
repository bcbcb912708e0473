/**
 * The method flags of `lucerna attribute`, built from the method registry: each option a method
 * declares (`AttributionMethod.options`, see `attribution/options.ts`) becomes one flag, parsed by
 * its type. A flag the chosen method does not declare is refused with the list of what it takes,
 * so nothing is silently ignored. `--abs` and `--relu` apply to every method: the method takes them
 * when it declares them, else the command applies them to the result.
 */
import { Option } from 'commander';
import type { BaselineSpec } from '../../attribution/baselines.js';
import { methodList } from '../../attribution/methods.js';
import { formatDefault, type MethodOption, type OptionDefault } from '../../attribution/options.js';
import type { AttributionMethod } from '../../attribution/types.js';
import { LucernaError } from '../../errors.js';
import type { OptionSpec } from '../command.js';
import { parseChoice, parseInteger, parseIntList, parseNumber, parseProbability } from '../parse.js';

/** The flags the command applies itself when the method does not take them. */
const POSTPROCESS_FLAGS = new Set(['--abs', '--relu']);

const longOf = (flag: string) => flag.split(' ')[0] as string;
const keyOf = (flag: string) => new Option(flag).attributeName();

/** What {@link methodFlagSpecs} may adjust for a command other than `attribute`. */
export interface FlagSpecOptions {
  /** Flags the command declares itself (left out here). */
  readonly exclude?: readonly string[];
  /** Per method, defaults the command uses instead of the method's own (e.g. `explain`'s quick run). */
  readonly defaults?: Readonly<Record<string, Readonly<Record<string, OptionDefault>>>>;
  /** Whether the command applies `--abs`/`--relu` to methods that do not take them (`attribute` does). */
  readonly postprocess?: boolean;
}

/**
 * One CLI option per distinct method option in the registry, its help naming the methods that
 * take it with each one's default, e.g. `--steps <n>  integration or optimisation steps
 * (integrated-gradients 50, meaningful-perturbation 300)`.
 *
 * @example
 * ```ts
 * methodFlagSpecs().find((o) => o.flags === '--upsample')?.description; // '… (grad-cam, …, score-cam, ablation-cam)'
 * ```
 */
export function methodFlagSpecs(spec: FlagSpecOptions = {}): OptionSpec[] {
  const byFlag = new Map<string, { option: MethodOption; methods: string[] }>();
  for (const method of methodList()) {
    for (const option of method.options) {
      if (spec.exclude?.includes(longOf(option.flag))) continue;
      const entry = byFlag.get(option.flag) ?? { option, methods: [] };
      const value = spec.defaults?.[method.name]?.[option.key] ?? option.default;
      entry.methods.push(value === undefined || option.type === 'switch' ? method.name : `${method.name} ${formatDefault(value)}`);
      byFlag.set(option.flag, entry);
    }
  }
  return [...byFlag.values()].map(({ option, methods }) => {
    const others = spec.postprocess !== false && POSTPROCESS_FLAGS.has(longOf(option.flag)) ? '; other methods: applied to the result' : '';
    return { flags: option.flag, description: `${option.help} (${methods.join(', ')}${others})` };
  });
}

async function readNpyFile(path: string, what: string) {
  const [{ readBytes }, { parseNpy }] = await Promise.all([import('../../io/files.js'), import('../../io/npy.js')]);
  return parseNpy(await readBytes(path, what), path);
}

/**
 * `--baseline`: zeros, blur, uniform, a number, or a .npy file.
 *
 * @example
 * ```ts
 * await parseBaseline('0.5'); // { constant: 0.5 }
 * ```
 */
export async function parseBaseline(text: string | undefined): Promise<BaselineSpec | undefined> {
  if (text === undefined) return undefined;
  if (text === 'zeros' || text === 'blur') return text;
  if (text === 'uniform') return { uniform: [0, 1] };
  const n = Number(text);
  if (text.trim() !== '' && Number.isFinite(n)) return { constant: n };
  if (text.toLowerCase().endsWith('.npy')) {
    const { npyToFloat32 } = await import('../../io/npy.js');
    return npyToFloat32(await readNpyFile(text, 'the baseline'));
  }
  throw new LucernaError('BAD_OPTION', `--baseline "${text}" is not zeros, blur, uniform, a number or a .npy file`);
}

/** Parses one declared option's value by its type. */
async function parseOption(option: MethodOption, value: unknown): Promise<unknown> {
  const flag = longOf(option.flag);
  const text = value as string;
  switch (option.type) {
    case 'integer':
      return parseInteger(text, flag, option.min ?? -Infinity, option.max);
    case 'number':
      return parseNumber(text, flag, option.min);
    case 'probability':
      return parseProbability(text, flag);
    case 'integers':
      return parseIntList(text, flag);
    case 'choice':
      return parseChoice(text, flag, option.choices ?? []);
    case 'switch':
      return value ? (option.value ?? true) : undefined;
    case 'baseline':
      return parseBaseline(text);
    case 'tensor-file': {
      const { npyToFloat32 } = await import('../../io/npy.js');
      return npyToFloat32(await readNpyFile(text, `the ${flag.slice(2)} file`));
    }
    case 'segments-file': {
      const array = await readNpyFile(text, 'the feature mask');
      if (array.dtype.startsWith('float')) {
        throw new LucernaError('BAD_FILE', `The feature mask ${text} holds ${array.dtype} values`, 'Save integer segment ids (e.g. np.int32)');
      }
      return { data: array.data as ArrayLike<number> | BigInt64Array, shape: array.shape };
    }
    case 'text':
      return text;
  }
}

/**
 * Builds the options object for a method from the CLI flags: the flags it declares, parsed; any
 * other method flag is a `BAD_OPTION` naming what the method takes (`lenient`: ignored, for
 * commands that run several methods and check the flags against all of them).
 *
 * @example
 * ```ts
 * const options = await buildMethodOptions(getMethod('integrated-gradients'), { steps: '32' });
 * ```
 */
export async function buildMethodOptions(
  method: AttributionMethod,
  flags: Readonly<Record<string, unknown>>,
  lenient = false,
): Promise<Record<string, unknown>> {
  const options: Record<string, unknown> = {};
  const declared = new Map(method.options.map((o) => [o.flag, o]));
  for (const spec of methodFlagSpecs()) {
    const value = flags[keyOf(spec.flags)];
    if (value === undefined) continue;
    const option = declared.get(spec.flags);
    if (option) {
      const parsed = await parseOption(option, value);
      if (parsed !== undefined) options[option.key] = parsed;
    } else if (!lenient && !POSTPROCESS_FLAGS.has(longOf(spec.flags))) {
      const takes = method.options.map((o) => longOf(o.flag));
      throw new LucernaError(
        'BAD_OPTION',
        `${longOf(spec.flags)} does not apply to ${method.name}`,
        takes.length > 0 ? `${method.name} takes ${takes.join(', ')}` : `${method.name} takes only --target and --batch-size`,
      );
    }
  }
  return options;
}
