import type { AttributionMethod, CommonOptions, TargetSpec } from '../attribution/types.js';
import { forEachChunk } from '../engine/batching.js';
import type { Model } from '../engine/model.js';
import { LucernaError, positiveInteger } from '../errors.js';
import { seededRandom } from '../tensor/random.js';
import { sizeOf, type Tensor } from '../tensor/tensor.js';
import type { MetricDescriptor } from './descriptor.js';

/** Options of {@link maxSensitivity}. */
export interface MaxSensitivityOptions {
  /** The method's own options (layer, steps…). */
  readonly methodOptions?: Readonly<Record<string, unknown>>;
  /** The class explained (default argmax of the clean input), kept for every perturbed input. */
  readonly target?: TargetSpec;
  /** Radius r of the L∞ ball, in input units (default 0.02). */
  readonly radius?: number;
  /** Perturbed inputs per sample (default 10). */
  readonly samples?: number;
  /** Seed of the samples (default 0). */
  readonly seed?: number;
  /** Divide by ‖Φ(x)‖₂ (default true); false gives the paper's absolute value. */
  readonly relative?: boolean;
  /** Perturbed inputs per method call (default 8); bounds memory. */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Max-sensitivity per sample, plus the targets. */
export interface MaxSensitivityResult {
  readonly sensitivity: number[];
  readonly targets: number[];
}

function l2Distance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i] as number) - (b[i] as number)) ** 2;
  return Math.sqrt(s);
}

/**
 * Max-sensitivity of a method for every sample of `x`.
 *
 * @example
 * ```ts
 * const { sensitivity } = await maxSensitivity(model, saliency, x, { radius: 0.02, samples: 10, seed: 1 });
 * ```
 */
export async function maxSensitivity(
  model: Model,
  method: AttributionMethod<CommonOptions>,
  x: Tensor,
  options: MaxSensitivityOptions = {},
): Promise<MaxSensitivityResult> {
  const radius = options.radius ?? 0.02;
  if (!(Number.isFinite(radius) && radius >= 0)) throw new LucernaError('BAD_OPTION', `The sensitivity radius must be a number ≥ 0, got ${radius}`);
  const samples = positiveInteger(options.samples ?? 10, 'The number of sensitivity samples');
  const chunk = positiveInteger(options.batchSize ?? 8, 'The sensitivity batch size');
  const base = { ...(options.methodOptions ?? {}), signal: options.signal } as CommonOptions;
  const clean = await method.attribute(model, x, { ...base, target: options.target });
  const targets = [...clean.targets];
  const n = x.shape[0] as number;
  const per = sizeOf(x.shape.slice(1));
  const mapPer = clean.attribution.data.length / n;
  const uniform = seededRandom(options.seed ?? 0);
  const sensitivity: number[] = [];
  for (let i = 0; i < n; i++) {
    const xi = x.data.subarray(i * per, (i + 1) * per);
    const reference = clean.attribution.data.subarray(i * mapPer, (i + 1) * mapPer);
    const norm = l2Distance(reference, new Float32Array(mapPer));
    let worst = 0;
    const progress = { offset: i * samples, total: n * samples };
    await forEachChunk(samples, chunk, { signal: options.signal, onProgress: options.onProgress, progress }, async (_first, count) => {
      const batch = new Float32Array(count * per);
      for (let k = 0; k < batch.length; k++) batch[k] = (xi[k % per] as number) + (2 * uniform() - 1) * radius;
      const r = await method.attribute(model, { data: batch, shape: [count, ...x.shape.slice(1)] }, { ...base, target: new Array(count).fill(targets[i]) });
      for (let s = 0; s < count; s++) worst = Math.max(worst, l2Distance(r.attribution.data.subarray(s * mapPer, (s + 1) * mapPer), reference));
    });
    sensitivity.push(options.relative === false ? worst : norm > 0 ? worst / norm : Number.NaN);
  }
  return { sensitivity, targets };
}

/**
 * Relative max-sensitivity as a metric of `lucerna evaluate` (Yeh et al. 2019, https://arxiv.org/abs/1901.09392).
 *
 * @example `await maxSensitivityMetric.evaluate(context); // { value: 0.1 }`
 */
export const maxSensitivityMetric: MetricDescriptor<'max-sensitivity'> = {
  name: 'max-sensitivity',
  description: 'Relative max-sensitivity in an L∞ ball (Yeh et al. 2019)',
  needsMask: false,
  better: 'lower',
  async evaluate(c) {
    const s = c.settings;
    const r = await maxSensitivity(c.model, c.method, c.x, {
      ...s.sensitivity,
      target: c.target,
      methodOptions: c.methodOptions,
      batchSize: s.batchSize,
      signal: c.signal,
    });
    return { value: r.sensitivity[0] as number };
  },
};
