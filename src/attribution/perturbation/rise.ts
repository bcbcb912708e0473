/**
 * RISE (Petsiuk, Das & Saenko 2018, https://arxiv.org/abs/1806.07421): score the input under many
 * random smooth masks and average the masks weighted by the scores,
 * saliency = Σᵢ scoreᵢ · Mᵢ / (N · p), or with `center` Σᵢ (scoreᵢ − mean score) · Mᵢ / (N · p).
 *
 * Each mask is a coarse grid of ⌈H/cell⌉ × ⌈W/cell⌉ cells, each kept with probability p,
 * upsampled bilinearly to (⌈H/cell⌉ + 1)·cell × (⌈W/cell⌉ + 1)·cell (that is (H + cell) × (W + cell)
 * when cell divides H and W) and cropped to H × W at a random shift in [0, cell) per axis, as in the
 * paper. The perturbed input is x ⊙ M (the mask shared by all channels).
 *
 * Only the coarse grids (a few bytes per mask) are drawn up front, from one seeded stream; each
 * full-size mask is rendered when its chunk is scored, so memory stays bounded by the batch size.
 */
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import { seededRandom } from '../../tensor/random.js';
import { formatShape, type Tensor } from '../../tensor/tensor.js';
import { OPTIONS, withDefaults } from '../options.js';
import type { AttributionMethod, AttributionResult } from '../types.js';
import { type LinearTap, linearTaps } from '../upsample.js';
import { type PerturbationContext, type PerturbationOptions, perturbationContext } from './context.js';
import { groupIdenticalSamples, scorePerturbations } from './runner.js';
import type { Scorer } from './scorer.js';

/** Options of {@link rise}. */
export interface RiseOptions extends PerturbationOptions {
  /** Number of random masks N (default 4000, as the paper for ResNet-50). */
  readonly masks?: number;
  /** Grid cell size in pixels (default ⌈max(H, W) / 7⌉: the paper's 7×7 grid). */
  readonly cell?: number;
  /** Probability p that a grid cell is kept (default 0.5, as the paper). */
  readonly keep?: number;
  /** Seed of the mask generator (default 0). */
  readonly seed?: number;
  /**
   * Subtract the mean masked score: Σᵢ (scoreᵢ − mean score) · Mᵢ / (N · p), the sample
   * covariance of score and mask over p (default false: the paper's formula). The paper's map
   * carries a floor of about the mean score everywhere, signal or not; the centred map is zero in
   * expectation where the score does not depend on the pixel, has lower variance, and keeps the
   * ranking of pixels.
   */
  readonly center?: boolean;
}

/** A set of random RISE masks over an H × W image, rendered one at a time. */
export interface RiseMasks {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  /** Grid size [rows, cols]. */
  readonly grid: readonly [number, number];
  /** Renders mask `index` (values in [0, 1]) into `out` (H·W values) and returns it. */
  render(index: number, out?: Float32Array): Float32Array;
  /** The coarse grid (0/1, rows × cols) and crop shift [dy, dx] of mask `index`. */
  cells(index: number): { grid: Uint8Array; shift: [number, number] };
}

function checkInteger(value: number, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new LucernaError('BAD_OPTION', `RISE ${what} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/**
 * RISE's defaults (Petsiuk et al. 2018: 4,000 masks, p = 0.5; cells of a seventh of the longer side).
 *
 * @example `RISE_DEFAULTS.masks; // 4000`
 */
export const RISE_DEFAULTS = { masks: 4000, cell: { text: '⌈longer side / 7⌉' }, keep: 0.5, seed: 0 } as const;

/**
 * Draws `count` RISE masks for an H × W image: the coarse grids and shifts now, the full masks on
 * demand. The same seed gives the same masks whatever the batch size.
 *
 * @example
 * ```ts
 * const masks = riseMasks({ count: 100, height: 224, width: 224, cell: 32, keep: 0.5, seed: 1 });
 * const m0 = masks.render(0); // Float32Array(224 * 224)
 * ```
 */
export function riseMasks(o: { count: number; height: number; width: number; cell: number; keep: number; seed: number }): RiseMasks {
  const { count, height, width, cell, keep } = o;
  const rows = Math.ceil(height / cell);
  const cols = Math.ceil(width / cell);
  const cells = rows * cols;
  const next = seededRandom(o.seed);
  const grids = new Uint8Array(count * cells);
  const shifts = new Int32Array(count * 2);
  for (let m = 0; m < count; m++) {
    for (let k = 0; k < cells; k++) grids[m * cells + k] = next() < keep ? 1 : 0;
    shifts[2 * m] = Math.floor(next() * cell);
    shifts[2 * m + 1] = Math.floor(next() * cell);
  }
  const rowTaps = linearTaps(rows, (rows + 1) * cell);
  const colTaps = linearTaps(cols, (cols + 1) * cell);
  return {
    count,
    height,
    width,
    grid: [rows, cols],
    cells: (index) => ({ grid: grids.slice(index * cells, (index + 1) * cells), shift: [shifts[2 * index] as number, shifts[2 * index + 1] as number] }),
    render(index: number, out = new Float32Array(height * width)): Float32Array {
      const g = grids.subarray(index * cells, (index + 1) * cells);
      const dy = shifts[2 * index] as number;
      const dx = shifts[2 * index + 1] as number;
      let k = 0;
      for (let y = 0; y < height; y++) {
        const r = rowTaps[y + dy] as LinearTap;
        const top = r.i0 * cols;
        const bottom = r.i1 * cols;
        for (let x = 0; x < width; x++) {
          const c = colTaps[x + dx] as LinearTap;
          const upper = c.lambda0 * (g[top + c.i0] as number) + c.lambda1 * (g[top + c.i1] as number);
          const lower = c.lambda0 * (g[bottom + c.i0] as number) + c.lambda1 * (g[bottom + c.i1] as number);
          out[k++] = r.lambda0 * upper + r.lambda1 * lower;
        }
      }
      return out;
    },
  };
}

/** The validated masks of one request. */
interface RisePlan {
  readonly masks: RiseMasks;
  readonly keep: number;
  readonly cell: number;
  readonly seed: number;
  readonly center: boolean;
}

/** Validates the options before any forward pass runs. */
function planRise(x: Tensor, options: RiseOptions): RisePlan {
  if (x.shape.length !== 4) throw new LucernaError('BAD_SHAPE', `RISE needs an image batch [N, C, H, W], got shape ${formatShape(x.shape)}`);
  const [, , height, width] = x.shape as [number, number, number, number];
  const count = checkInteger(options.masks ?? RISE_DEFAULTS.masks, 'masks', 1);
  const cell = checkInteger(options.cell ?? Math.ceil(Math.max(height, width) / 7), 'cell', 1, Math.max(height, width));
  const seed = checkInteger(options.seed ?? RISE_DEFAULTS.seed, 'seed', 0, 2 ** 32 - 1);
  const keep = options.keep ?? RISE_DEFAULTS.keep;
  if (typeof keep !== 'number' || !(keep > 0 && keep <= 1)) throw new LucernaError('BAD_OPTION', `RISE keep probability must be in (0, 1], got ${keep}`);
  const center = options.center ?? false;
  if (typeof center !== 'boolean') throw new LucernaError('BAD_OPTION', `RISE center must be true or false, got ${String(center)}`);
  return { masks: riseMasks({ count, height, width, cell, keep, seed }), keep, cell, seed, center };
}

/** Runs RISE for a resolved context. */
async function runRise(ctx: PerturbationContext, x: Tensor, plan: RisePlan, options: RiseOptions): Promise<AttributionResult> {
  const { masks, keep } = plan;
  const [n, channels, height, width] = x.shape as [number, number, number, number];
  const hw = height * width;
  const per = channels * hw;
  const count = masks.count;
  const sums = new Float64Array(n * hw);
  // For the centred map: Σᵢ Mᵢ and Σᵢ scoreᵢ per sample, so Σ (scoreᵢ − mean)·Mᵢ = Σ scoreᵢ·Mᵢ − mean·Σ Mᵢ.
  const maskSums = plan.center ? new Float64Array(n * hw) : undefined;
  const scoreSums = new Float64Array(n);
  // Identical samples (one image, several targets) share one pass: every target is read from it.
  const { representatives, members } = groupIdenticalSamples(x);
  // Masks rendered for the chunk being scored, reused when its scores come back.
  const rendered = new Map<number, Float32Array>();
  const spare: Float32Array[] = [];
  await scorePerturbations(
    ctx.scorer,
    [channels, height, width],
    {
      count: representatives.length * count,
      fill(index, out) {
        const mask = masks.render(index % count, spare.pop());
        rendered.set(index, mask);
        const base = (representatives[Math.floor(index / count)] as number) * per;
        for (let c = 0; c < channels; c++) {
          for (let k = 0; k < hw; k++) out[c * hw + k] = (x.data[base + c * hw + k] as number) * (mask[k] as number);
        }
      },
      target: (index) => ctx.targets[representatives[Math.floor(index / count)] as number] as number,
    },
    (first, scores, rows, classes) => {
      for (let r = 0; r < scores.length; r++) {
        const index = first + r;
        const mask = rendered.get(index) ?? masks.render(index % count);
        rendered.delete(index);
        for (const sample of members[Math.floor(index / count)] as number[]) {
          const score = rows[r * classes + (ctx.targets[sample] as number)] as number;
          const base = sample * hw;
          scoreSums[sample] = (scoreSums[sample] as number) + score;
          for (let k = 0; k < hw; k++) sums[base + k] = (sums[base + k] as number) + score * (mask[k] as number);
          if (maskSums) for (let k = 0; k < hw; k++) maskSums[base + k] = (maskSums[base + k] as number) + (mask[k] as number);
        }
        spare.push(mask);
      }
    },
    options,
  );
  const attribution = new Float32Array(n * hw);
  const scale = 1 / (count * keep);
  for (let k = 0; k < attribution.length; k++) {
    const mean = (scoreSums[Math.floor(k / hw)] as number) / count;
    attribution[k] = ((sums[k] as number) - (maskSums ? mean * (maskSums[k] as number) : 0)) * scale;
  }
  return {
    attribution: { data: attribution, shape: [n, 1, height, width] },
    targets: ctx.targets,
    scores: ctx.scores,
    details: { masks: count, cell: plan.cell, keep, seed: plan.seed, center: plan.center, grid: masks.grid, forwardPasses: representatives.length * count },
  };
}

/**
 * RISE over any {@link Scorer} (a black box): the core of {@link rise}.
 *
 * @example
 * ```ts
 * const { attribution } = await riseSaliency(scorer, x, { masks: 2000, cell: 32, seed: 7 }); // [N, 1, H, W]
 * ```
 */
export async function riseSaliency(scorer: Scorer, x: Tensor, options: RiseOptions = {}): Promise<AttributionResult> {
  const plan = planRise(x, options);
  return runRise(await perturbationContext(undefined, x, { ...options, scorer }), x, plan, options);
}

/**
 * RISE, randomized input sampling for explanation (Petsiuk et al. 2018,
 * https://arxiv.org/abs/1806.07421): Σᵢ scoreᵢ · Mᵢ / (N · p) over N seeded random masks.
 * Output: [N, 1, H, W], one map per sample shared by the channels. The paper scores with
 * probabilities: pass `score: 'probability'` for that (the default reads logits).
 *
 * @example
 * ```ts
 * const { attribution } = await rise.attribute(model, x, { masks: 2000, cell: 32, keep: 0.5, seed: 1, score: 'probability' });
 * ```
 */
export const rise: AttributionMethod<RiseOptions> = {
  name: 'rise',
  kind: 'perturbation',
  needs: { gradients: false, layer: false, baseline: false },
  options: withDefaults([OPTIONS.masks, OPTIONS.cell, OPTIONS.keep, OPTIONS.seed, OPTIONS.center], RISE_DEFAULTS),
  // Every pixel carries about the mean score (unless centred): clip the floor at a low percentile
  // and keep each target's range, so the likelier class does not flatten the other's map.
  display: { sign: 'positive', reduction: 'none', floor: 'percentile', shareAcrossTargets: false },
  description: 'Score-weighted average of random smooth masks (RISE, Petsiuk et al. 2018)',
  async attribute(model: Model, x: Tensor, options: RiseOptions = {}): Promise<AttributionResult> {
    const plan = planRise(x, options);
    return runRise(await perturbationContext(model, x, options), x, plan, options);
  },
};
