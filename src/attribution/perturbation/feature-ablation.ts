/**
 * Feature ablation: a user feature mask groups input elements into features (segments,
 * superpixels, patches); each feature in turn is set to the baseline, and the drop of the target
 * score, f(x) − f(x with that feature ablated), is written to every element of the feature.
 * Equal to Captum's `FeatureAblation` with `feature_mask` and `baselines`
 * (https://captum.ai/api/feature_ablation.html).
 *
 * Perturbed inputs are generated one at a time and streamed through the scorer in batches.
 */
import type { Box } from '../../engine/incremental/plan.js';
import type { Model } from '../../engine/model.js';
import { LucernaError, positiveInteger } from '../../errors.js';
import { formatShape, sizeOf, type Tensor } from '../../tensor/tensor.js';
import { type BaselineSpec, resolveBaseline } from '../baselines.js';
import { OPTIONS, withDefaults } from '../options.js';
import type { AttributionMethod, AttributionResult } from '../types.js';
import { type PerturbationContext, type PerturbationOptions, perturbationContext } from './context.js';
import { type IncrementalOption, withIncrementalScorer } from './incremental-scorer.js';
import { scorePerturbations } from './runner.js';
import type { Scorer } from './scorer.js';

/**
 * Integer feature ids, broadcast to the input like Captum: the input's rank, batch dim 1 (shared
 * by every sample) or N, and every other dim 1 (shared) or the input's size. For images:
 * [1, 1, H, W] (one segmentation for all channels), [1, C, H, W] (per channel) or [N, 1, H, W].
 * An Int32Array tensor, a float tensor of whole numbers, or a parsed int64 `.npy` all work.
 */
export interface FeatureMask {
  readonly data: ArrayLike<number> | BigInt64Array;
  readonly shape: readonly number[];
}

/** Options of {@link featureAblation}. */
export interface FeatureAblationOptions extends PerturbationOptions, IncrementalOption {
  /** Feature ids per element. Default: 8×8-pixel patches shared by all channels ({@link gridFeatureMask}). */
  readonly featureMask?: FeatureMask;
  /** What an ablated feature is replaced by (default zeros). */
  readonly baseline?: BaselineSpec;
}

/** Patch size in pixels of the default feature mask. @example `gridFeatureMask(224, 224, DEFAULT_FEATURE_CELL)` */
export const DEFAULT_FEATURE_CELL = 8;

/**
 * Feature ablation's defaults: a grid of {@link DEFAULT_FEATURE_CELL}-pixel cells, zeros as the
 * ablated value.
 *
 * @example `FEATURE_ABLATION_DEFAULTS.baseline; // 'zeros'`
 */
export const FEATURE_ABLATION_DEFAULTS = {
  featureMask: { text: `a grid of ${DEFAULT_FEATURE_CELL}×${DEFAULT_FEATURE_CELL} cells` },
  baseline: 'zeros',
} as const;

/**
 * A mask of square patches, `(y // cell) · ⌈W / cell⌉ + x // cell`, shaped [1, 1, H, W].
 *
 * @example
 * ```ts
 * const mask = gridFeatureMask(32, 32, 4); // 64 features of 4×4 pixels
 * ```
 */
export function gridFeatureMask(height: number, width: number, cell: number): { data: Int32Array; shape: number[] } {
  positiveInteger(cell, 'The feature cell size');
  const across = Math.ceil(width / cell);
  const data = new Int32Array(height * width);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = Math.floor(y / cell) * across + Math.floor(x / cell);
  return { data, shape: [1, 1, height, width] };
}

/** The features of one sample: elements grouped by feature id (ascending). */
export interface FeatureGroups {
  /** The feature ids, ascending. */
  readonly ids: readonly number[];
  /** Elements of feature f are `elements[offsets[f] .. offsets[f + 1])`. */
  readonly offsets: Int32Array;
  /** Element indices within one sample, grouped by feature. */
  readonly elements: Int32Array;
}

function maskValue(mask: FeatureMask, i: number): number {
  const v = Number(mask.data[i]);
  if (!Number.isSafeInteger(v)) throw new LucernaError('BAD_OPTION', `The feature mask must hold integer ids, found ${mask.data[i]} at index ${i}`);
  return v;
}

function checkMaskShape(mask: FeatureMask, inputShape: readonly number[]): void {
  const s = mask.shape;
  const fits = s.length === inputShape.length && s.every((d, i) => d === 1 || d === inputShape[i]);
  if (!fits) {
    const [n, ...rest] = inputShape;
    throw new LucernaError(
      'BAD_SHAPE',
      `The feature mask has shape ${formatShape(s)}, which does not broadcast to the input ${formatShape(inputShape)}`,
      `Use ${formatShape([1, ...rest.map((d, i) => (i === 0 ? 1 : d))])}, ${formatShape([1, ...rest])} or ${formatShape([n as number, ...rest])}`,
    );
  }
  if (mask.data.length !== sizeOf(s))
    throw new LucernaError('BAD_SHAPE', `The feature mask has ${mask.data.length} values, shape ${formatShape(s)} needs ${sizeOf(s)}`);
}

/** The feature id of every element of sample `sample`, broadcasting the mask. */
function sampleIds(mask: FeatureMask, sampleShape: readonly number[], sample: number): Float64Array {
  const rank = sampleShape.length;
  const maskShape = mask.shape.slice(1);
  const strides = new Array<number>(rank);
  let stride = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = maskShape[d] === 1 ? 0 : stride;
    stride *= maskShape[d] as number;
  }
  const first = (mask.shape[0] === 1 ? 0 : sample) * sizeOf(maskShape);
  const ids = new Float64Array(sizeOf(sampleShape));
  const index = new Array<number>(rank).fill(0);
  let offset = first;
  for (let e = 0; e < ids.length; e++) {
    ids[e] = maskValue(mask, offset);
    for (let d = rank - 1; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      offset += strides[d] as number;
      if (index[d] !== sampleShape[d]) break;
      offset -= (strides[d] as number) * (sampleShape[d] as number);
      index[d] = 0;
    }
  }
  return ids;
}

/** Groups the elements of one sample by feature id (a counting sort). */
function groupIds(ids: Float64Array): FeatureGroups {
  const unique = [...new Set(ids)].sort((a, b) => a - b);
  const slot = new Map(unique.map((id, f) => [id, f]));
  const offsets = new Int32Array(unique.length + 1);
  for (const id of ids) {
    const f = (slot.get(id) as number) + 1;
    offsets[f] = (offsets[f] as number) + 1;
  }
  for (let f = 0; f < unique.length; f++) offsets[f + 1] = (offsets[f + 1] as number) + (offsets[f] as number);
  const next = offsets.slice(0, unique.length);
  const elements = new Int32Array(ids.length);
  for (let e = 0; e < ids.length; e++) {
    const f = slot.get(ids[e] as number) as number;
    elements[next[f] as number] = e;
    next[f] = (next[f] as number) + 1;
  }
  return { ids: unique, offsets, elements };
}

/**
 * The feature groups of each sample of an input of shape `inputShape` (samples sharing the mask
 * share one grouping). Errors: `BAD_SHAPE` for a mask that does not broadcast, `BAD_OPTION` for
 * non-integer ids.
 *
 * @example
 * ```ts
 * const groups = featureGroups(gridFeatureMask(32, 32, 4), [1, 3, 32, 32]);
 * groups[0].ids.length; // 64
 * ```
 */
export function featureGroups(mask: FeatureMask, inputShape: readonly number[]): FeatureGroups[] {
  checkMaskShape(mask, inputShape);
  const n = inputShape[0] as number;
  const sampleShape = inputShape.slice(1);
  if (mask.shape[0] === 1) {
    const shared = groupIds(sampleIds(mask, sampleShape, 0));
    return new Array<FeatureGroups>(n).fill(shared);
  }
  return Array.from({ length: n }, (_, i) => groupIds(sampleIds(mask, sampleShape, i)));
}

/**
 * The rows × columns box (the last two dims) that holds every element of feature `f`.
 *
 * @example
 * ```ts
 * featureBox(featureGroups(gridFeatureMask(16, 16, 8), [1, 3, 16, 16])[0], 1, [3, 16, 16]); // [[0, 8], [8, 16]]
 * ```
 */
export function featureBox(g: FeatureGroups, f: number, sampleShape: readonly number[]): Box {
  const [h, w] = sampleShape.slice(-2) as [number, number];
  let [y0, y1, x0, x1] = [h, 0, w, 0];
  for (let k = g.offsets[f] as number; k < (g.offsets[f + 1] as number); k++) {
    const e = g.elements[k] as number;
    const y = Math.floor(e / w) % h;
    const x = e % w;
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y + 1);
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x + 1);
  }
  return [
    [y0, y1],
    [x0, x1],
  ];
}

/** The validated feature groups and resolved baseline of one request. */
interface AblationPlan {
  readonly groups: FeatureGroups[];
  readonly baseline: Tensor;
}

/** Validates the options before any forward pass runs. */
function planAblation(x: Tensor, options: FeatureAblationOptions): AblationPlan {
  if (x.shape.length < 2) throw new LucernaError('BAD_SHAPE', `Feature ablation needs a batch of samples [N, ...], got shape ${formatShape(x.shape)}`);
  let mask = options.featureMask;
  if (!mask) {
    if (x.shape.length !== 4) {
      throw new LucernaError(
        'BAD_OPTION',
        `Feature ablation of a ${formatShape(x.shape)} input needs a featureMask`,
        'Pass featureMask: integer ids broadcastable to the input',
      );
    }
    const [, , h, w] = x.shape as [number, number, number, number];
    mask = gridFeatureMask(h, w, DEFAULT_FEATURE_CELL);
  }
  return { groups: featureGroups(mask, x.shape), baseline: resolveBaseline(options.baseline, x) };
}

/** Runs feature ablation for a resolved context. */
async function runAblation(ctx: PerturbationContext, x: Tensor, plan: AblationPlan, options: FeatureAblationOptions): Promise<AttributionResult> {
  const { groups, baseline } = plan;
  const sampleShape = x.shape.slice(1);
  const per = sizeOf(sampleShape);
  const n = x.shape[0] as number;
  // Perturbation index → (sample, feature): samples in order, features ascending within each.
  const firstOf = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) firstOf[i + 1] = (firstOf[i] as number) + (groups[i] as FeatureGroups).ids.length;
  let sample = 0;
  const locate = (index: number): [number, number] => {
    while (index >= (firstOf[sample + 1] as number)) sample++;
    while (index < (firstOf[sample] as number)) sample--;
    return [sample, index - (firstOf[sample] as number)];
  };
  const forEachElement = (i: number, f: number, visit: (e: number) => void): void => {
    const g = groups[i] as FeatureGroups;
    for (let k = g.offsets[f] as number; k < (g.offsets[f + 1] as number); k++) visit(g.elements[k] as number);
  };
  const attribution = new Float32Array(n * per);
  await scorePerturbations(
    ctx.scorer,
    sampleShape,
    {
      count: firstOf[n] as number,
      fill(index, out) {
        const [i, f] = locate(index);
        out.set(x.data.subarray(i * per, (i + 1) * per));
        forEachElement(i, f, (e) => {
          out[e] = baseline.data[i * per + e] as number;
        });
      },
      target: (index) => ctx.targets[locate(index)[0]] as number,
      edit: (index) => {
        const [i, f] = locate(index);
        return { sample: i, box: featureBox(groups[i] as FeatureGroups, f, sampleShape) };
      },
    },
    (first, scores) => {
      for (let r = 0; r < scores.length; r++) {
        const [i, f] = locate(first + r);
        const drop = (ctx.scores[i] as number) - (scores[r] as number);
        forEachElement(i, f, (e) => {
          attribution[i * per + e] = drop;
        });
      }
    },
    options,
  );
  return {
    attribution: { data: attribution, shape: [...x.shape] },
    targets: ctx.targets,
    scores: ctx.scores,
    details: { features: groups.map((g) => g.ids.length), forwardPasses: firstOf[n] },
  };
}

/**
 * Feature ablation over any {@link Scorer} (a black box): the core of {@link featureAblation}.
 *
 * @example
 * ```ts
 * const { attribution } = await ablateFeatures(scorer, x, { featureMask: superpixels });
 * ```
 */
export async function ablateFeatures(scorer: Scorer, x: Tensor, options: FeatureAblationOptions = {}): Promise<AttributionResult> {
  const plan = planAblation(x, options);
  return runAblation(await perturbationContext(undefined, x, { ...options, scorer }), x, plan, options);
}

/**
 * Feature ablation, equal to Captum's `FeatureAblation`
 * (https://captum.ai/api/feature_ablation.html): each feature of the mask gets
 * f(x) − f(x with the feature set to the baseline), written to all its elements. Output: the
 * input's shape. `options.scorer` runs it on a black box.
 *
 * @example
 * ```ts
 * const { attribution } = await featureAblation.attribute(model, x, { featureMask: gridFeatureMask(224, 224, 16) });
 * ```
 */
export const featureAblation: AttributionMethod<FeatureAblationOptions> = {
  name: 'feature-ablation',
  kind: 'perturbation',
  needs: { gradients: false, layer: false, baseline: true },
  options: withDefaults([OPTIONS.featureMask, OPTIONS.baseline, OPTIONS.fullPasses], FEATURE_ABLATION_DEFAULTS),
  display: { sign: 'all', reduction: 'sum' },
  description: 'Score drop when each feature of a mask is set to a baseline (feature ablation, as Captum)',
  async attribute(model: Model, x: Tensor, options: FeatureAblationOptions = {}): Promise<AttributionResult> {
    const plan = planAblation(x, options);
    const sampleShape = x.shape.slice(1);
    const boxes = () => plan.groups.flatMap((g) => g.ids.map((_, f) => featureBox(g, f, sampleShape)));
    return withIncrementalScorer(model, x, options, boxes, async (o) => runAblation(await perturbationContext(model, x, o), x, plan, o));
  },
};
