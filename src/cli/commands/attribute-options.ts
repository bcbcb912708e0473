/**
 * Turns the method flags of `lucerna attribute` into typed method options, validating each. The
 * general parsers live in `../parse.ts`; `--target` is resolved by the command (labels need the model).
 */
import type { BaselineSpec } from '../../attribution/baselines.js';
import { INTEGRATION_RULES, type IntegrationRule } from '../../attribution/integration.js';
import type { AttributionMethod } from '../../attribution/types.js';
import { LucernaError } from '../../errors.js';
import { readBytes } from '../../io/files.js';
import { npyToFloat32, parseNpy } from '../../io/npy.js';
import type { Tensor } from '../../tensor/tensor.js';
import { parseChoice, parseInteger, parseIntList, parseNumber, parseProbability } from '../parse.js';

/** The method-related flags, as commander passes them (strings). */
export interface RawMethodFlags {
  readonly layer?: string;
  readonly steps?: string;
  readonly integration?: string;
  readonly baseline?: string;
  readonly samples?: string;
  readonly stdev?: string;
  readonly noise?: string;
  readonly seed?: string;
  readonly abs?: boolean;
  readonly relu?: boolean;
  readonly upsample?: boolean;
  readonly batchSize?: string;
  readonly window?: string;
  readonly stride?: string;
  readonly featureMask?: string;
  readonly masks?: string;
  readonly cell?: string;
  readonly keep?: string;
  readonly center?: boolean;
  readonly fullPasses?: boolean;
  readonly segments?: string;
}

async function readFeatureMask(path: string | undefined) {
  if (path === undefined) return undefined;
  const array = parseNpy(await readBytes(path, 'the feature mask'), path);
  if (array.dtype.startsWith('float')) {
    throw new LucernaError('BAD_FILE', `The feature mask ${path} holds ${array.dtype} values`, 'Save integer segment ids (e.g. np.int32)');
  }
  return { data: array.data as ArrayLike<number> | BigInt64Array, shape: array.shape };
}

async function readNpyTensor(path: string, what: string): Promise<Tensor> {
  return npyToFloat32(parseNpy(await readBytes(path, what), path));
}

/** `--baseline`: zeros, blur, uniform, a number, or a .npy file. */
export async function parseBaseline(text: string | undefined): Promise<BaselineSpec | undefined> {
  if (text === undefined) return undefined;
  if (text === 'zeros' || text === 'blur') return text;
  if (text === 'uniform') return { uniform: [0, 1] };
  const n = Number(text);
  if (text.trim() !== '' && Number.isFinite(n)) return { constant: n };
  if (text.toLowerCase().endsWith('.npy')) return readNpyTensor(text, 'the baseline');
  throw new LucernaError('BAD_OPTION', `--baseline "${text}" is not zeros, blur, uniform, a number or a .npy file`);
}

function parseIntegration(text: string | undefined): IntegrationRule | undefined {
  return parseChoice(text, '--integration', INTEGRATION_RULES as readonly IntegrationRule[]);
}

/**
 * Builds the options object for a method from the CLI flags.
 *
 * @example
 * ```ts
 * const options = await buildMethodOptions(getMethod('integrated-gradients'), { steps: '32' });
 * ```
 */
export async function buildMethodOptions(method: AttributionMethod, flags: RawMethodFlags): Promise<Record<string, unknown>> {
  const options: Record<string, unknown> = {
    layer: flags.layer,
    steps: parseInteger(flags.steps, '--steps', 1),
    integration: parseIntegration(flags.integration),
    baseline: await parseBaseline(flags.baseline),
    samples: parseInteger(flags.samples, '--samples', 1),
    stdev: parseNumber(flags.stdev, '--stdev', 0),
    noise: flags.noise ? await readNpyTensor(flags.noise, 'the noise') : undefined,
    seed: parseInteger(flags.seed, '--seed', 0),
    batchSize: parseInteger(flags.batchSize, '--batch-size', 1),
    window: parseIntList(flags.window, '--window'),
    strides: parseIntList(flags.stride, '--stride'),
    featureMask: await readFeatureMask(flags.featureMask),
    masks: parseInteger(flags.masks, '--masks', 1),
    cell: parseInteger(flags.cell, '--cell', 1),
    keep: parseProbability(flags.keep, '--keep'),
    segments: parseInteger(flags.segments, '--segments', 1),
  };
  const name = method.name;
  if (flags.abs && method.absAware) options.abs = true;
  if (flags.fullPasses) {
    if (name !== 'occlusion' && name !== 'feature-ablation') {
      throw new LucernaError('BAD_OPTION', `--full-passes applies to occlusion and feature-ablation only, not ${name}`);
    }
    options.incremental = false;
  }
  if (flags.center) {
    if (name !== 'rise') throw new LucernaError('BAD_OPTION', `--center applies to rise only, not ${name}`);
    options.center = true;
  }
  if (method.output === 'layer-map') {
    if (flags.relu) options.relu = true;
    if (flags.upsample) options.upsample = 'bilinear';
  }
  for (const k of Object.keys(options)) if (options[k] === undefined) delete options[k];
  return options;
}
