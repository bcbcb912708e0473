/**
 * The shared core of deletion and insertion (Petsiuk et al. 2018, RISE,
 * https://arxiv.org/abs/1806.07421): pixels move from a start image to an end image in the order
 * of the attribution (most important first), a fixed number of pixels per step, and the target
 * score is read after every step. Every step of every sample is one row of batched forward passes
 * through the scorer; the rows are generated lazily, so memory is bounded by the batch size.
 */
import { type BaselineSpec, resolveBaseline } from '../attribution/baselines.js';
import { type PerturbationSource, scorePerturbations } from '../attribution/perturbation/runner.js';
import { LucernaError, positiveInteger } from '../errors.js';
import { formatShape, sizeOf, type Tensor } from '../tensor/tensor.js';
import { type MetricRunOptions, type ModelOrScorer, metricTargets } from './context.js';
import type { MetricContext, MetricOutcome } from './descriptor.js';
import { attributionMaps, type MapReduction, planeOf, rankPixels } from './maps.js';
import { trapezoidArea } from './stats.js';

/** Options of deletion and insertion. */
export interface PixelCurveOptions extends MetricRunOptions {
  /** Pixels (all channels) moved per step. Default: ⌈H·W / 100⌉, about 100 steps. */
  readonly step?: number;
  /** Alternatively, the number of steps (the step is then ⌈H·W / steps⌉). Give `step` or `steps`, not both. */
  readonly steps?: number;
  /** The substrate: what removed pixels become (deletion) or what the image starts as (insertion). */
  readonly baseline?: BaselineSpec;
  /** How channels are reduced to the ranking map (default `sum`). */
  readonly reduction?: MapReduction;
}

/** A score curve per sample and its area. */
export interface PixelCurveResult {
  /** The x axis: the fraction of pixels moved after each step, 0 … 1 (shared by every sample). */
  readonly fractions: number[];
  /** Per sample, the target score after each step. */
  readonly curves: number[][];
  /** Per sample, the area under its curve on [0, 1] (trapezoid rule). */
  readonly auc: number[];
  readonly targets: number[];
}

/** Which image the curve starts from; pixels are taken from the other one in attribution order. */
export type CurveDirection = 'deletion' | 'insertion';

/**
 * The step size in pixels from the options.
 *
 * @example
 * ```ts
 * resolveStep(224 * 224, { steps: 100 }); // 502
 * ```
 */
export function resolveStep(pixels: number, options: Pick<PixelCurveOptions, 'step' | 'steps'>): number {
  if (options.step !== undefined && options.steps !== undefined) throw new LucernaError('BAD_OPTION', 'Give the step size or the number of steps, not both');
  if (options.step !== undefined) return Math.min(pixels, positiveInteger(options.step, 'The step size'));
  return Math.ceil(pixels / positiveInteger(options.steps ?? 100, 'The number of steps'));
}

/**
 * The fraction of pixels moved after each step: 0, s/P, 2s/P, …, 1.
 *
 * @example
 * ```ts
 * stepFractions(10, 4); // [0, 0.4, 0.8, 1]
 * ```
 */
export function stepFractions(pixels: number, step: number): number[] {
  const steps = Math.ceil(pixels / step);
  return Array.from({ length: steps + 1 }, (_, k) => Math.min(k * step, pixels) / pixels);
}

/** The lazily generated curve inputs of every sample. */
function curveSource(
  start: Tensor,
  end: Tensor,
  orders: readonly Uint32Array[],
  step: number,
  targets: readonly number[],
): PerturbationSource & { readonly points: number } {
  const [n, channels, height, width] = start.shape as [number, number, number, number];
  const plane = height * width;
  const per = channels * plane;
  const points = Math.ceil(plane / step) + 1;
  return {
    count: n * points,
    points,
    target: (index) => targets[Math.floor(index / points)] as number,
    fill(index, out) {
      const sample = Math.floor(index / points);
      const moved = Math.min((index % points) * step, plane);
      out.set(start.data.subarray(sample * per, (sample + 1) * per));
      const order = orders[sample] as Uint32Array;
      const source = end.data.subarray(sample * per, (sample + 1) * per);
      for (let k = 0; k < moved; k++) {
        const p = order[k] as number;
        for (let c = 0; c < channels; c++) out[c * plane + p] = source[c * plane + p] as number;
      }
    },
  };
}

/**
 * Runs a deletion or an insertion curve for every sample of `x`.
 *
 * @example
 * ```ts
 * const r = await pixelCurve('deletion', model, x, attribution, { baseline: 'zeros', steps: 50 });
 * ```
 */
export async function pixelCurve(
  direction: CurveDirection,
  source: ModelOrScorer,
  x: Tensor,
  attribution: Tensor,
  options: PixelCurveOptions,
): Promise<PixelCurveResult> {
  if (x.shape.length !== 4) throw new LucernaError('BAD_SHAPE', `Deletion and insertion need an image batch [N, C, H, W], got ${formatShape(x.shape)}`);
  const maps = attributionMaps(attribution, x.shape, options.reduction ?? 'sum');
  const n = x.shape[0] as number;
  const plane = sizeOf(x.shape.slice(2));
  const step = resolveStep(plane, options);
  const context = await metricTargets(source, x, options);
  const baseline = resolveBaseline(options.baseline ?? (direction === 'deletion' ? 'zeros' : 'blur'), x);
  const [start, end] = direction === 'deletion' ? [x, baseline] : [baseline, x];
  const orders = Array.from({ length: n }, (_, i) => rankPixels(planeOf(maps, i).values));
  const curveInputs = curveSource(start, end, orders, step, context.targets);
  const scores = new Float32Array(curveInputs.count);
  await scorePerturbations(context.scorer, x.shape.slice(1), curveInputs, (first, chunk) => scores.set(chunk, first), options);
  const fractions = stepFractions(plane, step);
  const curves = Array.from({ length: n }, (_, i) => Array.from(scores.subarray(i * curveInputs.points, (i + 1) * curveInputs.points)));
  return { fractions, curves, auc: curves.map((c) => trapezoidArea(fractions, c)), targets: context.targets };
}

/**
 * A deletion or insertion curve as a metric outcome for `lucerna evaluate`: the run's curve
 * settings, the direction's baseline, and the area as the value.
 *
 * @example
 * ```ts
 * await pixelCurveOutcome(context, 'deletion'); // { value: auc, curve: { values, fractions } }
 * ```
 */
export async function pixelCurveOutcome(c: MetricContext, direction: CurveDirection): Promise<MetricOutcome> {
  const s = c.settings;
  const baseline = direction === 'deletion' ? s.curve.deletionBaseline : s.curve.insertionBaseline;
  const r = await pixelCurve(direction, c.model, c.x, c.attribution, {
    target: c.target,
    batchSize: s.batchSize,
    signal: c.signal,
    steps: s.curve.steps,
    score: s.curve.score,
    baseline,
  });
  return { value: r.auc[0] as number, curve: { values: r.curves[0] as number[], fractions: r.fractions } };
}
