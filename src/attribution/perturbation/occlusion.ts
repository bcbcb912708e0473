/**
 * Occlusion (Zeiler & Fergus 2014, https://arxiv.org/abs/1311.2901): slide a window over the
 * input, replace what it covers by a baseline, and record the drop of the target score. Each input
 * element gets the mean drop over every window that covers it.
 *
 * Window positions follow Captum's `Occlusion` exactly: along each dim, starts are k·stride for
 * k = 0 … ⌈(dim − window) / stride⌉, so the last window may be cut off at the edge; the stride may
 * exceed the window only where the window spans the whole dim (otherwise elements go uncovered).
 *
 * Perturbed inputs are generated one at a time and streamed through the scorer in batches. On an
 * ONNX model, each window's rows can recompute only what the window changes in the leading
 * convolutions (incremental inference, see `incremental-scorer.ts`; option `incremental`).
 */
import type { Box } from '../../engine/incremental/plan.js';
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import { formatShape, sizeOf, type Tensor } from '../../tensor/tensor.js';
import { type BaselineSpec, resolveBaseline } from '../baselines.js';
import { OPTIONS, withDefaults } from '../options.js';
import type { AttributionMethod, AttributionResult } from '../types.js';
import { type PerturbationContext, type PerturbationOptions, perturbationContext } from './context.js';
import { type IncrementalOption, withIncrementalScorer } from './incremental-scorer.js';
import { groupIdenticalSamples, scorePerturbations } from './runner.js';
import type { Scorer } from './scorer.js';

/** Options of {@link occlusion}. */
export interface OcclusionOptions extends PerturbationOptions, IncrementalOption {
  /**
   * Window shape per sample dim, e.g. `[3, 8, 8]` for a [N, 3, H, W] input.
   * Default: whole along every dim but the last two, 8 (clamped to the dim) along those.
   */
  readonly window?: readonly number[];
  /** Step per sample dim, e.g. `[3, 4, 4]`. Default: half the window (at least 1). */
  readonly strides?: readonly number[];
  /** What an occluded element is replaced by (default zeros). */
  readonly baseline?: BaselineSpec;
}

/** The window positions over one sample. */
export interface WindowGrid {
  /** Window shape per sample dim. */
  readonly window: readonly number[];
  /** Stride per sample dim. */
  readonly strides: readonly number[];
  /** Number of window positions along each dim. */
  readonly counts: readonly number[];
  /** Total number of window positions. */
  readonly positions: number;
}

function checkDims(values: readonly number[], what: string, rank: number, sampleShape: readonly number[]): void {
  if (!Array.isArray(values) || values.length !== rank) {
    throw new LucernaError(
      'BAD_OPTION',
      `The occlusion ${what} must have ${rank} entries (one per sample dim of ${formatShape(sampleShape)}), got ${JSON.stringify(values)}`,
    );
  }
  for (const v of values) {
    if (!Number.isInteger(v) || v < 1) throw new LucernaError('BAD_OPTION', `The occlusion ${what} must be positive integers, got ${formatShape(values)}`);
  }
}

function defaultWindow(sampleShape: readonly number[]): number[] {
  return sampleShape.map((d, i) => (i < sampleShape.length - 2 ? d : Math.min(8, d)));
}

/**
 * Validates window and strides against one sample's shape and lays out the window positions.
 *
 * @example
 * ```ts
 * occlusionGrid([3, 32, 32], [3, 8, 8], [3, 4, 4]).positions; // 49 (7 × 7)
 * ```
 */
export function occlusionGrid(sampleShape: readonly number[], window?: readonly number[], strides?: readonly number[]): WindowGrid {
  const rank = sampleShape.length;
  const w = window ?? defaultWindow(sampleShape);
  checkDims(w, 'window', rank, sampleShape);
  const s = strides ?? w.map((v) => Math.max(1, Math.floor(v / 2)));
  checkDims(s, 'strides', rank, sampleShape);
  const counts = sampleShape.map((dim, i) => {
    const wi = w[i] as number;
    const si = s[i] as number;
    if (wi > dim)
      throw new LucernaError('BAD_OPTION', `The occlusion window ${formatShape(w)} exceeds the sample shape ${formatShape(sampleShape)} in dim ${i}`);
    if (wi < dim && si > wi) {
      throw new LucernaError(
        'BAD_OPTION',
        `The occlusion stride ${si} exceeds the window ${wi} in dim ${i}, leaving elements uncovered`,
        'Use strides ≤ window',
      );
    }
    return Math.ceil((dim - wi) / si) + 1;
  });
  return { window: [...w], strides: [...s], counts, positions: sizeOf(counts) };
}

/** Start and extent per sample dim of the window at `position` (C order over the grid), clipped to the sample. */
function windowAt(sampleShape: readonly number[], grid: WindowGrid, position: number): { start: number[]; extent: number[] } {
  const rank = sampleShape.length;
  const start = new Array<number>(rank);
  const extent = new Array<number>(rank);
  let rest = position;
  for (let d = rank - 1; d >= 0; d--) {
    const count = grid.counts[d] as number;
    start[d] = (rest % count) * (grid.strides[d] as number);
    extent[d] = Math.min(grid.window[d] as number, (sampleShape[d] as number) - (start[d] as number));
    rest = Math.floor(rest / count);
  }
  return { start, extent };
}

/**
 * The rows × columns box of an image sample [C, H, W] that the window at `position` changes.
 *
 * @example
 * ```ts
 * windowBox([3, 32, 32], occlusionGrid([3, 32, 32], [3, 8, 8], [3, 4, 4]), 8); // [[4, 12], [4, 12]]
 * ```
 */
export function windowBox(sampleShape: readonly number[], grid: WindowGrid, position: number): Box {
  const { start, extent } = windowAt(sampleShape, grid, position);
  const [y, x] = start.slice(-2) as [number, number];
  const [h, w] = extent.slice(-2) as [number, number];
  return [
    [y, y + h],
    [x, x + w],
  ];
}

/**
 * Calls `run(offset, length)` for each contiguous run (along the last dim) of the window at
 * position `position` (C order over the grid), clipped to the sample; offsets are within one sample.
 *
 * @example
 * ```ts
 * const grid = occlusionGrid([1, 4, 4], [1, 2, 2], [1, 2, 2]);
 * forEachWindowRun([1, 4, 4], grid, 3, (offset, length) => out.fill(0, offset, offset + length)); // rows 2–3, cols 2–3
 * ```
 */
export function forEachWindowRun(sampleShape: readonly number[], grid: WindowGrid, position: number, run: (offset: number, length: number) => void): void {
  const rank = sampleShape.length;
  const { start, extent } = windowAt(sampleShape, grid, position);
  const elementStrides = new Array<number>(rank);
  let stride = 1;
  for (let d = rank - 1; d >= 0; d--) {
    elementStrides[d] = stride;
    stride *= sampleShape[d] as number;
  }
  const length = extent[rank - 1] as number;
  const index = new Array<number>(rank).fill(0);
  for (;;) {
    let offset = 0;
    for (let d = 0; d < rank; d++) offset += ((start[d] as number) + (index[d] as number)) * (elementStrides[d] as number);
    run(offset, length);
    let d = rank - 2;
    while (d >= 0 && (index[d] = (index[d] as number) + 1) === extent[d]) index[d--] = 0;
    if (d < 0) return;
  }
}

/** How many window positions cover each element of one sample. */
function coverCounts(sampleShape: readonly number[], grid: WindowGrid): Float64Array {
  const counts = new Float64Array(sizeOf(sampleShape));
  for (let p = 0; p < grid.positions; p++) {
    forEachWindowRun(sampleShape, grid, p, (offset, length) => {
      for (let k = offset; k < offset + length; k++) counts[k] = (counts[k] as number) + 1;
    });
  }
  return counts;
}

/** Runs occlusion for a resolved context. */
async function runOcclusion(ctx: PerturbationContext, x: Tensor, plan: OcclusionPlan, options: OcclusionOptions): Promise<AttributionResult> {
  const { grid, baseline } = plan;
  const sampleShape = x.shape.slice(1);
  const per = sizeOf(sampleShape);
  const n = x.shape[0] as number;
  const sums = new Float64Array(n * per);
  const positions = grid.positions;
  // Identical samples (one image, several targets) share one pass: every target is read from it.
  const { representatives, members } = groupIdenticalSamples(x, [baseline]);
  const sampleOf = (index: number) => representatives[Math.floor(index / positions)] as number;
  await scorePerturbations(
    ctx.scorer,
    sampleShape,
    {
      count: representatives.length * positions,
      fill(index, out) {
        const base = sampleOf(index) * per;
        out.set(x.data.subarray(base, base + per));
        forEachWindowRun(sampleShape, grid, index % positions, (offset, length) => {
          out.set(baseline.data.subarray(base + offset, base + offset + length), offset);
        });
      },
      target: (index) => ctx.targets[sampleOf(index)] as number,
      edit: (index) => ({ sample: sampleOf(index), box: windowBox(sampleShape, grid, index % positions) }),
    },
    (first, scores, rows, classes) => {
      for (let r = 0; r < scores.length; r++) {
        for (const sample of members[Math.floor((first + r) / positions)] as number[]) {
          const drop = (ctx.scores[sample] as number) - (rows[r * classes + (ctx.targets[sample] as number)] as number);
          const base = sample * per;
          forEachWindowRun(sampleShape, grid, (first + r) % positions, (offset, length) => {
            for (let k = base + offset; k < base + offset + length; k++) sums[k] = (sums[k] as number) + drop;
          });
        }
      }
    },
    options,
  );
  const counts = coverCounts(sampleShape, grid);
  const attribution = new Float32Array(n * per);
  for (let k = 0; k < attribution.length; k++) attribution[k] = (sums[k] as number) / (counts[k % per] as number);
  return {
    attribution: { data: attribution, shape: [...x.shape] },
    targets: ctx.targets,
    scores: ctx.scores,
    details: { window: grid.window, strides: grid.strides, positions, forwardPasses: representatives.length * positions },
  };
}

/** The validated window grid and resolved baseline of one request. */
interface OcclusionPlan {
  readonly grid: WindowGrid;
  readonly baseline: Tensor;
}

/** Validates the options before any forward pass runs. */
function planOcclusion(x: Tensor, options: OcclusionOptions): OcclusionPlan {
  if (x.shape.length < 2) throw new LucernaError('BAD_SHAPE', `Occlusion needs a batch of samples [N, ...], got shape ${formatShape(x.shape)}`);
  return { grid: occlusionGrid(x.shape.slice(1), options.window, options.strides), baseline: resolveBaseline(options.baseline, x) };
}

/**
 * Occlusion over any {@link Scorer} (a black box): the core of {@link occlusion}.
 *
 * @example
 * ```ts
 * const scorer = functionScorer(async (batch) => remoteModel.predict(batch), { batchSize: 16 });
 * const { attribution } = await occlude(scorer, x, { window: [3, 16, 16], strides: [3, 8, 8] });
 * ```
 */
export async function occlude(scorer: Scorer, x: Tensor, options: OcclusionOptions = {}): Promise<AttributionResult> {
  const plan = planOcclusion(x, options);
  return runOcclusion(await perturbationContext(undefined, x, { ...options, scorer }), x, plan, options);
}

/**
 * Occlusion's defaults: the window covers every sample dim but the last two fully and at most 8
 * pixels in each of those; the stride is half the window.
 *
 * @example `OCCLUSION_DEFAULTS.baseline; // 'zeros'`
 */
export const OCCLUSION_DEFAULTS = {
  window: { text: 'all channels × min(8, H) × min(8, W)' },
  strides: { text: 'half the window' },
  baseline: 'zeros',
} as const;

/**
 * Occlusion (Zeiler & Fergus 2014, https://arxiv.org/abs/1311.2901), equal to Captum's
 * `Occlusion`: each element gets the mean of f(x) − f(x with a window replaced by the baseline)
 * over the windows covering it. Output: the input's shape. `options.scorer` runs it on a black box.
 *
 * @example
 * ```ts
 * const { attribution } = await occlusion.attribute(model, x, { window: [3, 8, 8], strides: [3, 4, 4], target: 281 });
 * ```
 */
export const occlusion: AttributionMethod<OcclusionOptions> = {
  name: 'occlusion',
  kind: 'perturbation',
  needs: { gradients: false, layer: false, baseline: true },
  options: withDefaults([OPTIONS.window, OPTIONS.strides, OPTIONS.baseline, OPTIONS.fullPasses], OCCLUSION_DEFAULTS),
  display: { sign: 'all', reduction: 'mean' },
  description: 'Mean score drop when a sliding window is replaced by a baseline (Zeiler & Fergus 2014)',
  async attribute(model: Model, x: Tensor, options: OcclusionOptions = {}): Promise<AttributionResult> {
    const plan = planOcclusion(x, options);
    const sampleShape = x.shape.slice(1);
    const boxes = () => Array.from({ length: plan.grid.positions }, (_, p) => windowBox(sampleShape, plan.grid, p));
    return withIncrementalScorer(model, x, options, boxes, async (o) => runOcclusion(await perturbationContext(model, x, o), x, plan, o));
  },
};
