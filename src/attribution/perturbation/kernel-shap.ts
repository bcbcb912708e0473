/**
 * KernelSHAP (Lundberg & Lee 2017, "A Unified Approach to Interpreting Model Predictions",
 * https://arxiv.org/abs/1705.07874) over superpixels: the Shapley values of the superpixel game,
 * with efficiency (Σφ = f(x) − f(baseline)) exact. Three estimators: `regression` (the paper's
 * weighted linear regression on coalitions drawn with the Shapley kernel), `permutation`
 * (antithetic permutation walks, shapley-permutations.ts) and, by default, `control-variate` (the
 * same walks with a fitted control variate, shapley-control-variates.ts), whose agreement with a
 * converged estimate is not detectably below the regression's at half its scores (see
 * {@link KernelShapOptions}; default budgets: shapley-budget.ts).
 * When every coalition fits the budget, all enumerate them and give the exact values.
 *
 * Regression coalition sampling follows the reference `shap` package: coalition sizes are visited from the
 * outside in (size s together with its complement size K − s); a size whose whole set of
 * coalitions fits the remaining budget in proportion to its kernel weight is enumerated
 * completely, the rest is sampled, and the sampled weights are scaled to the kernel mass left.
 * With a budget of at least 2^K − 2 every coalition is enumerated and the result is the exact
 * Shapley value of the superpixel game.
 */
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import type { Segmentation } from '../../segmentation/slic.js';
import { seededRandom } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { OPTIONS, SUPERPIXEL_OPTIONS, withDefaults } from '../options.js';
import type { AttributionResult } from '../types.js';
import { constrainedLeastSquares } from './regression.js';
import { DEFAULT_SHAPLEY_ESTIMATOR, defaultShapleySamples, type ShapleyEstimator, shapleySamplesText } from './shapley-budget.js';
import { connectedTriples, controlVariateShapley, superpixelAdjacency } from './shapley-control-variates.js';
import { type PermutationWalks, permutationWalks, walkPairs, walkShapley } from './shapley-permutations.js';
import {
  type BlackBoxMethod,
  type CoalitionSet,
  integerOption,
  SUPERPIXEL_DEFAULTS,
  type SuperpixelOptions,
  seedOption,
  setupSuperpixels,
  superpixelResult,
} from './superpixel-sampling.js';
import { scoreWithCleanRows, withCleanRow, withLeadingRows } from './superpixel-scoring.js';

export {
  DEFAULT_SHAPLEY_ESTIMATOR,
  defaultCoalitions,
  defaultShapleySamples,
  SHAPLEY_BUDGET_DIVISOR,
  type ShapleyEstimator,
  shapleySamplesText,
} from './shapley-budget.js';

/** Options of {@link kernelShap}. */
export interface KernelShapOptions extends SuperpixelOptions {
  /**
   * Coalitions scored per sample besides the baseline. Default ⌊(2K + 2048) / d⌋ with d from
   * `SHAPLEY_BUDGET_DIVISOR` (shapley-budget.ts): 2 with `control-variate` (1,068 for K = 44), 3 with
   * `permutation` (712), 1 with `regression` (2K + 2048, `shap`'s `auto`); the walks round down to
   * whole antithetic pairs of 2(K − 1) scores (12 pairs, 1,032 scores for K = 44). A budget of
   * 2^K − 2 or more enumerates every coalition (exact values) with any estimator.
   */
  readonly samples?: number;
  /**
   * How the Shapley values are estimated (default `control-variate`): `regression` is the paper's
   * kernel-weighted least squares (as `shap` and Captum's `KernelShap`), `permutation` averages the
   * score changes along antithetic permutation walks, and `control-variate` corrects each
   * antithetic pair of those walks with order-3 terms on the connected triples of adjacent
   * superpixels, fitted on the other pairs (shapley-control-variates.ts; Goldwasser & Hooker 2023,
   * https://arxiv.org/abs/2310.07672): unbiased and efficient, ≈ 0.1 s more CPU than the walks.
   *
   * Fidelity check (BENCHMARKS.md, "KernelSHAP's default budget"): Spearman, top-5 and top-10
   * agreement with a high-sample reference, paired against the earlier default (regression,
   * 2K + 2048) over images × seeds; no 95 % interval of a difference may lie below 0. The walks at
   * a third of its scores lost (Spearman −0.046 [−0.058, −0.034]), the control variate there too
   * (−0.026 [−0.041, −0.011]). At half, chosen on unreported images (scripts/select-budget.ts) and
   * confirmed on coffee, astronaut, chelsea × seeds 1–12 (bench/superpixel-paired.ts): Spearman
   * +0.002 [−0.009, 0.014], top-5 −0.033 [−0.086, 0.019], top-10 +0.014 [−0.027, 0.054].
   */
  readonly estimator?: ShapleyEstimator;
}

/** The default size sampling of the coalitions left after enumeration. */
export const DEFAULT_COALITION_SAMPLING: CoalitionSampling = 'kernel';

/** Coalitions with their regression weights. */
export interface WeightedCoalitions extends CoalitionSet {
  /** Kernel weight of each row (they sum to 1). */
  readonly weights: Float64Array;
  /** True when every coalition was enumerated (the Shapley values are then exact). */
  readonly exact: boolean;
}

/**
 * C(n, k) as a float.
 *
 * @example
 * ```ts
 * binomial(5, 2); // 10
 * ```
 */
export function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c < 2 ** 53 ? Math.round(c) : c;
}

/**
 * The Shapley kernel weight of one coalition of `size` out of `features`: (K − 1) / (C(K, s)·s·(K − s)),
 * infinite for the empty and the full coalition.
 *
 * @example
 * ```ts
 * shapleyKernelWeight(4, 2); // 3 / (6 · 2 · 2) = 0.125
 * ```
 */
export function shapleyKernelWeight(features: number, size: number): number {
  if (size <= 0 || size >= features) return Number.POSITIVE_INFINITY;
  return (features - 1) / (binomial(features, size) * size * (features - size));
}

/** One size group: coalitions of `size` and, when paired, of `features − size`. */
interface SizeGroup {
  readonly size: number;
  readonly paired: boolean;
  /** Share of the total kernel mass. */
  readonly weight: number;
  /** Number of coalitions in the group. */
  readonly count: number;
}

function sizeGroups(features: number): SizeGroup[] {
  const groups: SizeGroup[] = [];
  for (let s = 1; s <= Math.floor(features / 2); s++) {
    const paired = s !== features - s;
    const mass = (features - 1) / (s * (features - s));
    groups.push({ size: s, paired, weight: paired ? 2 * mass : mass, count: binomial(features, s) * (paired ? 2 : 1) });
  }
  const total = groups.reduce((a, g) => a + g.weight, 0);
  return groups.map((g) => ({ ...g, weight: g.weight / total }));
}

/** Growable coalition rows with deduplication of sampled rows. */
class CoalitionRows {
  readonly rows: Uint8Array[] = [];
  readonly weights: number[] = [];
  private readonly index = new Map<string, number>();

  constructor(private readonly features: number) {}

  add(mask: Uint8Array, weight: number): void {
    this.rows.push(mask);
    this.weights.push(weight);
  }

  /** Adds the mask with weight `w` or, if already sampled, adds `w` to its weight. Returns true when new. */
  count(mask: Uint8Array, w = 1): boolean {
    const key = mask.join('');
    const at = this.index.get(key);
    if (at !== undefined) {
      this.weights[at] = (this.weights[at] as number) + w;
      return false;
    }
    this.index.set(key, this.rows.length);
    this.add(mask, w);
    return true;
  }

  has(mask: Uint8Array): boolean {
    return this.index.has(mask.join(''));
  }

  toSet(exact: boolean): WeightedCoalitions {
    const z = new Uint8Array(this.rows.length * this.features);
    this.rows.forEach((r, i) => {
      z.set(r, i * this.features);
    });
    return { z, count: this.rows.length, features: this.features, weights: Float64Array.from(this.weights), exact };
  }
}

function complement(mask: Uint8Array): Uint8Array {
  return mask.map((v) => 1 - v);
}

/** Every coalition of exactly `size` of `features`, in lexicographic order. */
function* combinations(features: number, size: number): Generator<Uint8Array> {
  const idx = Array.from({ length: size }, (_, i) => i);
  while (true) {
    const mask = new Uint8Array(features);
    for (const i of idx) mask[i] = 1;
    yield mask;
    let j = size - 1;
    while (j >= 0 && idx[j] === features - size + j) j--;
    if (j < 0) return;
    idx[j] = (idx[j] as number) + 1;
    for (let k = j + 1; k < size; k++) idx[k] = (idx[k - 1] as number) + 1;
  }
}

/** A uniformly random coalition of `size` (partial Fisher–Yates). */
function randomCoalition(features: number, size: number, next: () => number, perm: Int32Array): Uint8Array {
  for (let i = 0; i < features; i++) perm[i] = i;
  const mask = new Uint8Array(features);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(next() * (features - i));
    [perm[i], perm[j]] = [perm[j] as number, perm[i] as number];
    mask[perm[i] as number] = 1;
  }
  return mask;
}

/**
 * How the sizes left after enumeration are drawn: `kernel` (`shap`'s rule: in proportion to each
 * size's Shapley kernel mass, every draw weighing the same) or `leverage` (Musco & Witter 2024,
 * "Provably Accurate Shapley Value Estimation via Leverage Score Sampling",
 * https://arxiv.org/abs/2410.01917: every size equally often, each draw weighted by its size's
 * kernel mass over its draw probability, so the regression is unchanged in expectation).
 */
export type CoalitionSampling = 'kernel' | 'leverage';

/** Draws coalitions from the groups not enumerated, until `budget` distinct rows or 4 × budget draws. */
function sampleGroups(rows: CoalitionRows, groups: readonly SizeGroup[], budget: number, features: number, seed: number, sampling: CoalitionSampling): void {
  const next = seededRandom(seed);
  // One draw gives a coalition and, in a paired group, its complement: per draw, a group's mass is
  // halved for a pair, and its draw probability is its share of `drawWeights`.
  const drawWeights = groups.map((g) => (sampling === 'leverage' ? 1 : g.paired ? g.weight / 2 : g.weight));
  const totalDraw = drawWeights.reduce((a, b) => a + b, 0);
  const rowWeight = groups.map((g, i) => (sampling === 'leverage' ? (g.paired ? g.weight / 2 : g.weight) / ((drawWeights[i] as number) / totalDraw) : 1));
  const perm = new Int32Array(features);
  let left = budget;
  for (let draw = 0; left > 0 && draw < 4 * budget; draw++) {
    let u = next() * totalDraw;
    let g = 0;
    while (g < groups.length - 1 && u >= (drawWeights[g] as number)) u -= drawWeights[g++] as number;
    const group = groups[g] as SizeGroup;
    const w = rowWeight[g] as number;
    const mask = randomCoalition(features, group.size, next, perm);
    if (rows.count(mask, w)) left--;
    if (!group.paired) continue;
    const other = complement(mask);
    if (rows.has(other)) rows.count(other, w);
    else if (left > 0) {
      rows.count(other, w);
      left--;
    }
  }
}

/**
 * Up to `budget` coalitions of `features` superpixels (never empty or full) with Shapley kernel
 * regression weights: size groups enumerated completely while the budget allows, the rest sampled
 * by size in proportion to the kernel and deduplicated.
 *
 * @example
 * ```ts
 * const c = shapleyCoalitions(4, 100, 0); // all 14 coalitions, c.exact === true
 * ```
 */
export function shapleyCoalitions(features: number, budget: number, seed: number, sampling: CoalitionSampling = 'kernel'): WeightedCoalitions {
  const rows = new CoalitionRows(features);
  const groups = sizeGroups(features);
  let left = budget;
  let remaining = 1;
  let g = 0;
  for (; g < groups.length; g++) {
    const group = groups[g] as SizeGroup;
    if ((left * group.weight) / remaining / group.count < 1 - 1e-8) break;
    const w = group.weight / group.count;
    for (const mask of combinations(features, group.size)) {
      rows.add(mask, w);
      if (group.paired) rows.add(complement(mask), w);
    }
    left -= group.count;
    remaining -= group.weight;
  }
  const exact = g === groups.length;
  if (exact || left <= 0) return rows.toSet(exact);
  const fixed = rows.rows.length;
  sampleGroups(rows, groups.slice(g), left, features, seed, sampling);
  let sampled = 0;
  for (let i = fixed; i < rows.weights.length; i++) sampled += rows.weights[i] as number;
  for (let i = fixed; i < rows.weights.length; i++) rows.weights[i] = ((rows.weights[i] as number) * remaining) / sampled;
  return rows.toSet(false);
}

/**
 * KernelSHAP over superpixels: one Shapley value per superpixel, painted onto its pixels (the map
 * has the input's shape), with Σφ = f(x) − f(baseline) to float precision. `details` holds per
 * sample the `segments` labels ([H, W]), `weights` (φ), `intercept` (= f(baseline)),
 * `baselineScores`, `estimator` (the one used), `samples` (coalitions scored besides the baseline),
 * `exact` (every coalition enumerated) and `jitter` (ridge needed for a singular regression, 0
 * normally). Works on any black box via `options.scorer`.
 *
 * Paper: https://arxiv.org/abs/1705.07874
 *
 * @example
 * ```ts
 * const { attribution, details } = await kernelShap.attribute(model, x, { target: 3, seed: 1 });
 * const captumLike = await kernelShap.attribute(model, x, { target: 3, estimator: 'regression', samples: 1000 });
 * const phi = (details?.weights as Float64Array[])[0]; // Σ phi = f(x) − f(baseline)
 * ```
 */
export const kernelShap: BlackBoxMethod<KernelShapOptions> = {
  name: 'kernel-shap',
  kind: 'perturbation',
  needs: { gradients: false, layer: false, baseline: true },
  options: withDefaults([...SUPERPIXEL_OPTIONS, OPTIONS.estimator], {
    ...SUPERPIXEL_DEFAULTS,
    samples: { text: shapleySamplesText() },
    estimator: DEFAULT_SHAPLEY_ESTIMATOR,
  }),
  display: { sign: 'all', reduction: 'sum' },
  description: 'KernelSHAP over SLIC superpixels (Lundberg & Lee 2017)',
  async attribute(model: Model | undefined, x: Tensor, options: KernelShapOptions = {}): Promise<AttributionResult> {
    if (options.samples !== undefined) integerOption(options.samples, 0, 1, 'samples');
    const estimator = estimatorOption(options.estimator);
    const seed = seedOption(options.seed);
    const setup = setupSuperpixels(model, x, options, 'KernelSHAP');
    const plans = setup.segmentations.map((s) => planEstimate(s.count, options.samples ?? defaultShapleySamples(s.count, estimator), seed, estimator));
    // A first row keeping every superpixel is the clean pass, scored with the coalitions; the regression's
    // sampled coalitions also get the empty one (the baseline) in front.
    const sets = plans.map((p) => (p.walks ? withCleanRow(p.walks.set) : withLeadingRows(p.coalitions, [1, 0])));
    const { problem, scores: withClean } = await scoreWithCleanRows(setup, sets, options);
    const scores = withClean.map((s) => s.subarray(1));
    const baselineScores = scores.map((s) => s[0] as number);
    const fits = plans.map((p, i) => {
      const full = problem.context.scores[i] as number;
      if (p.walks && estimator === 'control-variate') {
        const seg = problem.segmentations[i] as Segmentation;
        return { x: controlVariateShapley(p.walks, scores[i] as Float64Array, full, connectedTriples(seg.count, superpixelAdjacency(seg))), jitter: 0 };
      }
      if (p.walks) return { x: walkShapley(p.walks, scores[i] as Float64Array, full), jitter: 0 };
      const c = p.coalitions;
      const fb = baselineScores[i] as number;
      const y = (scores[i] as Float64Array).subarray(1).map((v) => v - fb);
      return constrainedLeastSquares({ rows: c.count, cols: c.features, data: c.z }, y, c.weights, full - fb);
    });
    return superpixelResult(
      problem,
      x,
      fits.map((f) => f.x),
      {
        intercept: baselineScores,
        baselineScores,
        estimator: plans.map((p) => (p.walks ? estimator : 'regression')),
        samples: scores.map((s) => s.length - 1),
        exact: plans.map((p) => !p.walks && p.coalitions.exact),
        jitter: fits.map((f) => f.jitter),
        seed,
      },
    );
  },
};

/** What one sample will score: permutation walks, or regression coalitions (all of them when they fit). */
type EstimatePlan =
  | { readonly walks: PermutationWalks; readonly coalitions?: undefined }
  | { readonly walks?: undefined; readonly coalitions: WeightedCoalitions };

function planEstimate(features: number, samples: number, seed: number, estimator: ShapleyEstimator): EstimatePlan {
  const enumerable = features < 53 && samples >= 2 ** features - 2;
  if (estimator === 'regression' || enumerable) return { coalitions: shapleyCoalitions(features, samples, seed, DEFAULT_COALITION_SAMPLING) };
  return { walks: permutationWalks(features, walkPairs(features, samples), seed) };
}

function estimatorOption(value: ShapleyEstimator | undefined): ShapleyEstimator {
  const v = value ?? DEFAULT_SHAPLEY_ESTIMATOR;
  if (v !== 'permutation' && v !== 'regression' && v !== 'control-variate')
    throw new LucernaError('BAD_OPTION', `estimator must be permutation, control-variate or regression, got ${value}`);
  return v;
}
