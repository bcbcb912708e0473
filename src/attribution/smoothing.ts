/**
 * The noise wrapper: turns any attribution method into SmoothGrad (Smilkov et al. 2017,
 * https://arxiv.org/abs/1706.03825), SmoothGrad² or VarGrad (Adebayo et al. 2018,
 * https://arxiv.org/abs/1810.03292), as Captum's `NoiseTunnel`.
 *
 * For each sample, `samples` noisy copies x + εᵢ go through the inner method as one batch (which
 * the inner method sends to the engine in chunks of `batchSize`), and the maps are aggregated:
 * smoothgrad = mean(aᵢ), smoothgrad-sq = mean(aᵢ²), vargrad = mean(aᵢ²) − mean(aᵢ)².
 */
import type { Model } from '../engine/model.js';
import { LucernaError, positiveInteger } from '../errors.js';
import { fillNormal, normalFrom, seededRandom } from '../tensor/random.js';
import { formatShape, sizeOf, type Tensor } from '../tensor/tensor.js';
import { forwardScores } from './forward.js';
import { OPTIONS, withDefaults } from './options.js';
import { throwIfAborted } from './rows.js';
import type { AttributionMethod, AttributionResult, CommonOptions } from './types.js';

/** How the noisy maps are aggregated. */
export type NoiseAggregation = 'smoothgrad' | 'smoothgrad-sq' | 'vargrad';

/** Options added by the noise wrapper. */
export interface NoiseOptions {
  /** Number of noisy samples (default 8). Ignored when `noise` is given. */
  readonly samples?: number;
  /** Noise standard deviation (default 0.1). */
  readonly stdev?: number;
  /** `absolute` (default): stdev as given; `relative`: stdev × (max − min) of each input sample. */
  readonly stdevMode?: 'absolute' | 'relative';
  /** Seed of the Gaussian noise (default 0). */
  readonly seed?: number;
  /** Exact noise [samples, ...sampleShape] added to every input sample in turn (reproduces a run exactly). */
  readonly noise?: Tensor;
}

function sampleRange(data: Float32Array): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return hi - lo;
}

/**
 * The noise tunnel's defaults (SmoothGrad's 8 samples at σ = 0.1 in input units, seed 0).
 *
 * @example `NOISE_DEFAULTS.samples; // 8`
 */
export const NOISE_DEFAULTS = { samples: 8, stdev: 0.1, seed: 0 } as const;

/**
 * The noise for one input sample: the user's tensor, or seeded Gaussian noise. Every sample of a
 * batch draws the same standard-normal noise (scaled by its own range in `relative` mode), so a
 * batch gives exactly the maps of its samples run one by one.
 */
function noiseFor(sample: Float32Array, sampleShape: readonly number[], options: NoiseOptions): { noise: Float32Array; count: number } {
  const per = sizeOf(sampleShape);
  if (options.noise) {
    const expected = sampleShape.join('x');
    if (options.noise.shape.slice(1).join('x') !== expected) {
      throw new LucernaError('BAD_SHAPE', `Noise has shape ${formatShape(options.noise.shape)}, expected [samples, ${sampleShape.join(', ')}]`);
    }
    const count = options.noise.shape[0] as number;
    if (options.samples !== undefined && options.samples !== count) {
      throw new LucernaError('BAD_OPTION', `samples is ${options.samples} but the noise tensor holds ${count} samples`);
    }
    return { noise: options.noise.data, count };
  }
  const count = options.samples ?? NOISE_DEFAULTS.samples;
  positiveInteger(count, 'samples');
  const stdev = options.stdev ?? NOISE_DEFAULTS.stdev;
  if (!(stdev >= 0) || !Number.isFinite(stdev)) throw new LucernaError('BAD_OPTION', `stdev must be a non-negative number, got ${stdev}`);
  const scale = options.stdevMode === 'relative' ? stdev * sampleRange(sample) : stdev;
  const normal = normalFrom(seededRandom((options.seed ?? NOISE_DEFAULTS.seed) >>> 0));
  return { noise: fillNormal(new Float32Array(count * per), normal, scale), count };
}

/**
 * Wraps a method with input noise and an aggregation.
 *
 * @example
 * ```ts
 * const smoothgrad = noiseTunnel(saliency, 'smoothgrad');
 * const { attribution } = await smoothgrad.attribute(model, x, { samples: 16, stdev: 0.15, stdevMode: 'relative', seed: 1 });
 * ```
 */
export function noiseTunnel<O extends CommonOptions>(
  inner: AttributionMethod<O>,
  aggregation: NoiseAggregation,
  name = aggregation,
): AttributionMethod<O & NoiseOptions> {
  return {
    name,
    kind: inner.kind,
    absAware: true,
    needs: inner.needs,
    options: [...inner.options, ...withDefaults([OPTIONS.samples, OPTIONS.stdev, OPTIONS.noise, OPTIONS.seed], NOISE_DEFAULTS)],
    // The mean of signed gradients stays signed; squares and variances are non-negative.
    display: aggregation === 'smoothgrad' ? inner.display : { ...inner.display, sign: 'positive' },
    description: `${aggregation} over ${inner.name} (Smilkov et al. 2017; Adebayo et al. 2018)`,
    async attribute(model: Model, x: Tensor, options = {} as O & NoiseOptions): Promise<AttributionResult> {
      const { targets, scores } = await forwardScores(model, x, options);
      const n = x.shape[0] as number;
      const sampleShape = x.shape.slice(1);
      const per = sizeOf(sampleShape);
      let out: Float32Array | undefined;
      let outShape: number[] = [];
      for (let i = 0; i < n; i++) {
        throwIfAborted(options.signal);
        const sample = x.data.subarray(i * per, (i + 1) * per);
        const { noise, count } = noiseFor(sample, sampleShape, options);
        const noisy = new Float32Array(count * per);
        for (let s = 0; s < count; s++) for (let k = 0; k < per; k++) noisy[s * per + k] = (sample[k] as number) + (noise[s * per + k] as number);
        const innerOptions = { ...options, target: new Array(count).fill(targets[i]), noise: undefined, onProgress: undefined } as O;
        const r = await inner.attribute(model, { data: noisy, shape: [count, ...sampleShape] }, innerOptions);
        const mapPer = r.attribution.data.length / count;
        if (!out) {
          out = new Float32Array(n * mapPer);
          outShape = [n, ...r.attribution.shape.slice(1)];
        }
        aggregate(r.attribution.data, count, mapPer, aggregation, out.subarray(i * mapPer, (i + 1) * mapPer));
        options.onProgress?.(i + 1, n);
      }
      return { attribution: { data: out as Float32Array, shape: outShape }, targets, scores, details: { aggregation, inner: inner.name } };
    },
  };
}

/** Aggregates `count` maps of `per` values into `out`. */
export function aggregate(maps: Float32Array, count: number, per: number, how: NoiseAggregation, out: Float32Array): void {
  for (let k = 0; k < per; k++) {
    let sum = 0;
    let sq = 0;
    for (let s = 0; s < count; s++) {
      const v = maps[s * per + k] as number;
      sum += v;
      sq += v * v;
    }
    const mean = sum / count;
    const meanSq = sq / count;
    out[k] = how === 'smoothgrad' ? mean : how === 'smoothgrad-sq' ? meanSq : meanSq - mean * mean;
  }
}
