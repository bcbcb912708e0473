/**
 * What LIME and KernelSHAP share: superpixels (SLIC or a user feature mask) per sample, the
 * baseline that "removes" a superpixel, streaming the coalitions z ∈ {0, 1}^K through a scorer
 * (only the z vectors and scores are kept, never the perturbed inputs), and broadcasting
 * per-superpixel weights back to an input-shaped map.
 */
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import { type Segmentation, type SlicImage, slic } from '../../segmentation/slic.js';
import { assertFinite, formatShape, sizeOf, type Tensor } from '../../tensor/tensor.js';
import { type BaselineSpec, resolveBaseline } from '../baselines.js';
import type { AttributionMethod, AttributionResult } from '../types.js';
import { type PerturbationContext, type PerturbationOptions, perturbationContext, requestScorer } from './context.js';
import type { Scorer } from './scorer.js';

/** Default number of SLIC superpixels of LIME and KernelSHAP. */
export const DEFAULT_SEGMENTS = 50;

/**
 * The defaults LIME and KernelSHAP share (their sample counts differ and are declared beside them).
 *
 * @example `SUPERPIXEL_DEFAULTS.segments; // 50`
 */
export const SUPERPIXEL_DEFAULTS = {
  segments: DEFAULT_SEGMENTS,
  seed: 0,
  featureMask: { text: 'SLIC superpixels of the image' },
  baseline: { text: 'the per-channel mean of the image' },
} as const;
/** Default SLIC compactness (as scikit-image). */
export const DEFAULT_COMPACTNESS = 10;

/** A label per pixel: `[H, W]`, `[1, H, W]`, `[1, 1, H, W]` (shared by all samples) or `[N, 1, H, W]` / `[N, H, W]` (one per sample). */
export interface FeatureMask {
  /** Integer feature ids (any integers; they are renumbered 0..K−1 in increasing order). */
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
}

/** Options of the superpixel methods (LIME, KernelSHAP). */
export interface SuperpixelOptions extends PerturbationOptions {
  /** Perturbed inputs scored per sample. */
  readonly samples?: number;
  /** Approximate number of SLIC superpixels (default 50). */
  readonly segments?: number;
  /** SLIC compactness (default 10). */
  readonly compactness?: number;
  /** Use these features instead of SLIC superpixels. */
  readonly featureMask?: FeatureMask;
  /**
   * The RGB (or grey) image SLIC segments, values in [0, 1], `[1 or N, 3 or 1, H, W]`. Default: the
   * input itself, min-max scaled per channel.
   */
  readonly image?: Tensor;
  /** Seed of the coalition sampler (default 0). Every sample of a batch uses the same seed. */
  readonly seed?: number;
  /** What a removed superpixel shows (default: the per-channel mean of each sample). */
  readonly baseline?: BaselineSpec;
}

/**
 * A perturbation method that may run without a model when `options.scorer` is given.
 *
 * @example
 * ```ts
 * await lime.attribute(undefined, x, { scorer: functionScorer(myBlackBox) });
 * ```
 */
export type BlackBoxMethod<O extends SuperpixelOptions> = AttributionMethod<O> & {
  attribute(model: Model | undefined, input: Tensor, options?: O): Promise<AttributionResult>;
};

/** A superpixel request before any scoring: the scorer, the input, its baseline and superpixels. */
export interface SuperpixelSetup {
  readonly scorer: Scorer;
  readonly x: Tensor;
  readonly baseline: Tensor;
  /** One segmentation per sample. */
  readonly segmentations: Segmentation[];
  /** The runs of each sample's segmentation, for filling coalitions by block copies. */
  readonly runs: SegmentRuns[];
}

/** Everything a superpixel method needs for one request: the setup and its clean pass. */
export interface SuperpixelProblem extends SuperpixelSetup {
  readonly context: PerturbationContext;
}

/**
 * A segmentation as runs: maximal intervals `[starts[j], ends[j])` of consecutive pixels (row-major
 * plane index) with one label, grouped by label (runs of label k are `offsets[k]..offsets[k+1]−1`).
 */
export interface SegmentRuns {
  readonly offsets: Int32Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

/**
 * The runs of a segmentation (see {@link SegmentRuns}).
 *
 * @example
 * ```ts
 * segmentRuns({ labels: Int32Array.of(0, 0, 1, 0), count: 2, height: 2, width: 2 }); // label 0: [0, 2) and [3, 4); label 1: [2, 3)
 * ```
 */
export function segmentRuns(seg: Segmentation): SegmentRuns {
  const labels = seg.labels;
  const n = labels.length;
  const perLabel = new Int32Array(seg.count + 1);
  for (let p = 0; p < n; p++) if (p === 0 || labels[p] !== labels[p - 1]) perLabel[labels[p]! + 1]!++;
  const offsets = new Int32Array(seg.count + 1);
  for (let k = 0; k < seg.count; k++) offsets[k + 1] = offsets[k]! + perLabel[k + 1]!;
  const next = offsets.slice(0, seg.count);
  const starts = new Int32Array(offsets[seg.count]!);
  const ends = new Int32Array(offsets[seg.count]!);
  for (let p = 0; p < n; ) {
    const label = labels[p]!;
    let q = p + 1;
    while (q < n && labels[q] === label) q++;
    const j = next[label]!++;
    starts[j] = p;
    ends[j] = q;
    p = q;
  }
  return { offsets, starts, ends };
}

/** One sample's coalitions: `count` rows of `features` bytes (1 = keep the superpixel). */
export interface CoalitionSet {
  readonly z: Uint8Array;
  readonly count: number;
  readonly features: number;
}

/**
 * Validates an integer option with a lower bound.
 *
 * @example
 * ```ts
 * const samples = integerOption(options.samples, 1000, 2, 'samples');
 * ```
 */
export function integerOption(value: number | undefined, fallback: number, min: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) throw new LucernaError('BAD_OPTION', `${what} must be an integer ≥ ${min}, got ${value}`);
  return v;
}

/**
 * Validates a positive finite number option.
 *
 * @example
 * ```ts
 * const width = positiveOption(options.kernelWidth, 0.25, 'kernelWidth');
 * ```
 */
export function positiveOption(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new LucernaError('BAD_OPTION', `${what} must be a positive number, got ${value}`);
  return v;
}

/**
 * Validates the sampler seed (default 0).
 *
 * @example
 * ```ts
 * const next = seededRandom(seedOption(options.seed));
 * ```
 */
export function seedOption(seed: number | undefined): number {
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new LucernaError('BAD_OPTION', `seed must be an integer, got ${seed}`);
  return seed ?? 0;
}

/** [N, C, H, W] of an image batch, or a one-line error. */
function imageDims(x: Tensor, method: string): [number, number, number, number] {
  if (x.shape.length !== 4 || x.data.length !== sizeOf(x.shape)) {
    throw new LucernaError('BAD_SHAPE', `${method} needs an image batch [N, C, H, W], got ${formatShape(x.shape)} with ${x.data.length} values`);
  }
  assertFinite(x, 'Input');
  return x.shape as [number, number, number, number];
}

/**
 * The per-channel mean of each sample, spread over the sample: LIME's and KernelSHAP's default
 * "removed" value.
 *
 * @example
 * ```ts
 * const b = channelMeanBaseline(x); // same shape as x, constant per (sample, channel)
 * ```
 */
export function channelMeanBaseline(x: Tensor): Tensor {
  const [n, c] = x.shape as [number, number];
  const plane = x.data.length / (n * c);
  const data = new Float32Array(x.data.length);
  for (let p = 0; p < n * c; p++) {
    let s = 0;
    for (let j = p * plane; j < (p + 1) * plane; j++) s += x.data[j]!;
    data.fill(s / plane, p * plane, (p + 1) * plane);
  }
  return { data, shape: [...x.shape] };
}

/**
 * Sample `i` of an image batch as an RGB (or grey) image in [0, 1], min-max scaled per channel
 * (a constant channel becomes 0): what SLIC sees when no image is given.
 *
 * @example
 * ```ts
 * const { labels } = slic(rgbFromInput(x, 0), { segments: 50 });
 * ```
 */
export function rgbFromInput(x: Tensor, i: number): SlicImage {
  const [, c, h, w] = x.shape as [number, number, number, number];
  if (c !== 3 && c !== 1) {
    throw new LucernaError('BAD_SHAPE', `SLIC needs 1 or 3 input channels, the input has ${c}`, 'Pass options.image (an RGB image) or options.featureMask');
  }
  const plane = h * w;
  const data = new Float32Array(c * plane);
  for (let ch = 0; ch < c; ch++) {
    const src = x.data.subarray((i * c + ch) * plane, (i * c + ch + 1) * plane);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of src) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const range = hi - lo;
    for (let p = 0; p < plane; p++) data[ch * plane + p] = range > 0 ? (src[p]! - lo) / range : 0;
  }
  return { data, shape: [c, h, w] };
}

/** Renumbers a feature mask's ids to 0..K−1 in increasing order. */
function maskSegmentation(data: ArrayLike<number>, offset: number, height: number, width: number): Segmentation {
  const plane = height * width;
  const ids = new Set<number>();
  for (let p = 0; p < plane; p++) {
    const v = data[offset + p]!;
    if (!Number.isInteger(v)) throw new LucernaError('BAD_OPTION', `The feature mask must hold integer ids, found ${v}`);
    ids.add(v);
  }
  const order = new Map([...ids].sort((a, b) => a - b).map((v, k) => [v, k] as const));
  const labels = new Int32Array(plane);
  for (let p = 0; p < plane; p++) labels[p] = order.get(data[offset + p]!)!;
  return { labels, count: order.size, height, width };
}

/** The segmentation of every sample: from the feature mask, else SLIC on `options.image` or the input. */
function segmentSamples(x: Tensor, options: SuperpixelOptions): Segmentation[] {
  const [n, , h, w] = x.shape as [number, number, number, number];
  const plane = h * w;
  if (options.featureMask) {
    if (options.segments !== undefined || options.image !== undefined || options.compactness !== undefined) {
      throw new LucernaError('BAD_OPTION', 'featureMask replaces SLIC: do not pass segments, compactness or image with it');
    }
    const m = options.featureMask;
    const perSample = m.data.length === n * plane && n > 1;
    const dims = m.shape;
    if ((m.data.length !== plane && !perSample) || dims.length < 2 || dims.at(-1) !== w || dims.at(-2) !== h || sizeOf(dims) !== m.data.length) {
      throw new LucernaError(
        'BAD_SHAPE',
        `The feature mask has shape ${formatShape(dims)} but the input is ${formatShape(x.shape)}`,
        `Pass a mask of shape [${h}, ${w}] or [${n}, 1, ${h}, ${w}]`,
      );
    }
    return Array.from({ length: n }, (_, i) => maskSegmentation(m.data, perSample ? i * plane : 0, h, w));
  }
  const segments = integerOption(options.segments, DEFAULT_SEGMENTS, 1, 'segments');
  const compactness = positiveOption(options.compactness, DEFAULT_COMPACTNESS, 'compactness');
  const image = options.image;
  if (image) {
    const [b, c, ih, iw] = image.shape as number[];
    if (image.shape.length !== 4 || (b !== 1 && b !== n) || (c !== 1 && c !== 3) || ih !== h || iw !== w || image.data.length !== sizeOf(image.shape)) {
      throw new LucernaError(
        'BAD_SHAPE',
        `The SLIC image has shape ${formatShape(image.shape)} but the input is ${formatShape(x.shape)}`,
        `Pass an RGB image of shape [1, 3, ${h}, ${w}] with values in [0, 1]`,
      );
    }
  }
  return Array.from({ length: n }, (_, i) => slic(image ? imageSample(image, i) : rgbFromInput(x, i), { segments, compactness }));
}

/** Sample `i` of a `[1 or N, C, H, W]` image (the only sample when the batch is 1). */
function imageSample(image: Tensor, i: number): SlicImage {
  const per = sizeOf(image.shape.slice(1));
  const j = image.shape[0] === 1 ? 0 : i;
  return { data: image.data.subarray(j * per, (j + 1) * per), shape: image.shape.slice(1) };
}

/**
 * Validates the input and options, segments every sample and resolves the baseline and the
 * scorer: the common start of LIME and KernelSHAP, before any forward pass. Their default path
 * scores the clean inputs inside the coalition stream (`scoreWithCleanRows`).
 *
 * @example
 * ```ts
 * const setup = setupSuperpixels(model, x, options, 'LIME');
 * ```
 */
export function setupSuperpixels(model: Model | undefined, x: Tensor, options: SuperpixelOptions, method: string): SuperpixelSetup {
  imageDims(x, method);
  seedOption(options.seed);
  const segmentations = segmentSamples(x, options);
  const baseline = options.baseline === undefined ? channelMeanBaseline(x) : resolveBaseline(options.baseline, x);
  const scorer = requestScorer(model, x, options);
  return { scorer, x, baseline, segmentations, runs: segmentations.map(segmentRuns) };
}

/**
 * {@link setupSuperpixels} followed by a clean pass of its own (a problem whose targets and clean
 * scores are known before any coalition is scored, as the benchmarks and selection scripts use).
 *
 * @example
 * ```ts
 * const problem = await prepareSuperpixels(model, x, options, 'LIME');
 * ```
 */
export async function prepareSuperpixels(model: Model | undefined, x: Tensor, options: SuperpixelOptions, method: string): Promise<SuperpixelProblem> {
  const setup = setupSuperpixels(model, x, options, method);
  const context = await perturbationContext(undefined, x, { ...options, scorer: setup.scorer });
  return { ...setup, context };
}

/**
 * The attribution map: each pixel gets its superpixel's weight, broadcast over channels.
 *
 * @example
 * ```ts
 * const attribution = weightMap(x.shape, problem.segmentations, weights);
 * ```
 */
export function weightMap(shape: readonly number[], segmentations: readonly Segmentation[], weights: readonly Float64Array[]): Tensor {
  const [n, c, h, w] = shape as [number, number, number, number];
  const plane = h * w;
  const data = new Float32Array(n * c * plane);
  for (let i = 0; i < n; i++) {
    const labels = (segmentations[i] as Segmentation).labels;
    const wi = weights[i] as Float64Array;
    for (let p = 0; p < plane; p++) {
      const v = wi[labels[p]!]!;
      for (let ch = 0; ch < c; ch++) data[(i * c + ch) * plane + p] = v;
    }
  }
  return { data, shape: [...shape] };
}

/**
 * The result of a superpixel method: each pixel gets its superpixel's weight; `details` gets the
 * segmentation and the method's own fit statistics.
 *
 * @example
 * ```ts
 * return superpixelResult(problem, x, weights, { intercept, r2 });
 * ```
 */
export function superpixelResult(
  problem: SuperpixelProblem,
  x: Tensor,
  weights: readonly Float64Array[],
  details: Readonly<Record<string, unknown>>,
): AttributionResult {
  return {
    attribution: weightMap(x.shape, problem.segmentations, weights),
    targets: problem.context.targets,
    scores: problem.context.scores,
    details: {
      segments: problem.segmentations.map((s) => s.labels),
      segmentCount: problem.segmentations.map((s) => s.count),
      weights,
      ...details,
    },
  };
}
