/**
 * Turns the string flags of `lucerna attribute` into typed method options, validating each.
 */
import type { BaselineSpec } from '../../attribution/baselines.js';
import { INTEGRATION_RULES, type IntegrationRule } from '../../attribution/integration.js';
import { LucernaError } from '../../errors.js';
import { readBytes } from '../../io/files.js';
import { npyToFloat32, parseNpy } from '../../io/npy.js';
import type { Tensor } from '../../tensor/tensor.js';

/** The method-related flags, as commander passes them (strings). */
export interface RawMethodFlags {
  readonly target?: string;
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

/**
 * Parses a list of positive integers such as `3,8,8`.
 *
 * @example
 * ```ts
 * parseIntList('3,8,8', '--window'); // [3, 8, 8]
 * ```
 */
export function parseIntList(text: string | undefined, flag: string): number[] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(/[,x×]/).map((p) => p.trim());
  const values = parts.map(Number);
  if (parts.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new LucernaError('BAD_OPTION', `${flag} must be positive integers separated by commas (e.g. 3,8,8), got "${text}"`);
  }
  return values;
}

async function readFeatureMask(path: string | undefined) {
  if (path === undefined) return undefined;
  const array = parseNpy(await readBytes(path, 'the feature mask'), path);
  if (array.dtype.startsWith('float')) {
    throw new LucernaError('BAD_FILE', `The feature mask ${path} holds ${array.dtype} values`, 'Save integer segment ids (e.g. np.int32)');
  }
  return { data: array.data as ArrayLike<number> | BigInt64Array, shape: array.shape };
}

/**
 * Parses an integer flag with bounds.
 *
 * @example
 * ```ts
 * parseInteger('32', '--steps', 1); // 32
 * ```
 */
export function parseInteger(text: string | undefined, flag: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw new LucernaError('BAD_OPTION', `${flag} must be an integer ≥ ${min}, got "${text}"`);
  return v;
}

/** Parses a finite number flag. */
export function parseNumber(text: string | undefined, flag: string, min = -Infinity): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v < min) throw new LucernaError('BAD_OPTION', `${flag} must be a number ≥ ${min}, got "${text}"`);
  return v;
}

/** A probability flag in (0, 1]. */
export function parseProbability(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!(v > 0 && v <= 1)) throw new LucernaError('BAD_OPTION', `${flag} must be a probability in (0, 1], got "${text}"`);
  return v;
}

/** `--target`: a class index or `argmax`. */
export function parseTarget(text: string | undefined): number | 'argmax' | undefined {
  if (text === undefined || text === 'argmax') return text === undefined ? undefined : 'argmax';
  return parseInteger(text, '--target', 0);
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
  if (text === undefined) return undefined;
  if (!(INTEGRATION_RULES as readonly string[]).includes(text)) {
    throw new LucernaError('BAD_OPTION', `Unknown --integration "${text}"`, `Use one of ${INTEGRATION_RULES.join(', ')}`);
  }
  return text as IntegrationRule;
}

/**
 * Builds the options object for a method from the CLI flags.
 *
 * @example
 * ```ts
 * const options = await buildMethodOptions('integrated-gradients', { steps: '32' }, absAware, layerMethods);
 * ```
 */
export async function buildMethodOptions(
  method: string,
  flags: RawMethodFlags,
  absAware: ReadonlySet<string>,
  layerMethods: ReadonlySet<string>,
): Promise<Record<string, unknown>> {
  const options: Record<string, unknown> = {
    target: parseTarget(flags.target),
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
  if (flags.abs && absAware.has(method)) options.abs = true;
  if (flags.fullPasses) {
    if (method !== 'occlusion' && method !== 'feature-ablation') {
      throw new LucernaError('BAD_OPTION', `--full-passes applies to occlusion and feature-ablation only, not ${method}`);
    }
    options.incremental = false;
  }
  if (flags.center) {
    if (method !== 'rise') throw new LucernaError('BAD_OPTION', `--center applies to rise only, not ${method}`);
    options.center = true;
  }
  if (layerMethods.has(method)) {
    if (flags.relu) options.relu = true;
    if (flags.upsample) options.upsample = 'bilinear';
  }
  for (const k of Object.keys(options)) if (options[k] === undefined) delete options[k];
  return options;
}
