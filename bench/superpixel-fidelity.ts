/**
 * The pieces of the LIME / KernelSHAP fidelity check (issue #12 defect 12): estimates of the
 * superpixel weights at a given sample count and sampling rule from the methods' own building
 * blocks (so a setting that is no longer a default can still be timed and compared), and the two
 * agreement measures against a high-sample reference: Spearman rank correlation over superpixels
 * and the overlap of the top 5.
 */
import { type CoalitionSampling, shapleyCoalitions } from '../src/attribution/perturbation/kernel-shap.js';
import { type LimeSampling, limeDesign, limeWeights, scoreLimeSets } from '../src/attribution/perturbation/lime.js';
import { constrainedLeastSquares, weightedRidge } from '../src/attribution/perturbation/regression.js';
import { connectedTriples, controlVariateShapley, superpixelAdjacency } from '../src/attribution/perturbation/shapley-control-variates.js';
import { permutationWalks, walkPairs, walkShapley } from '../src/attribution/perturbation/shapley-permutations.js';
import type { CoalitionSet, SuperpixelProblem } from '../src/attribution/perturbation/superpixel-sampling.js';
import { scoreCoalitions } from '../src/attribution/perturbation/superpixel-scoring.js';
import type { Segmentation } from '../src/segmentation/slic.js';

/** Spearman rank correlation (average ranks for ties). @example `spearman([1, 2, 3], [1, 3, 2]) // 0.5` */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const rank = (v: ArrayLike<number>) => {
    const idx = Array.from(v, (_, i) => i).sort((i, j) => (v[i] as number) - (v[j] as number));
    const r = new Float64Array(v.length);
    for (let i = 0; i < idx.length; ) {
      let j = i;
      while (j + 1 < idx.length && v[idx[j + 1] as number] === v[idx[i] as number]) j++;
      for (let k = i; k <= j; k++) r[idx[k] as number] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const mean = (ra.length - 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += ((ra[i] as number) - mean) * ((rb[i] as number) - mean);
    da += ((ra[i] as number) - mean) ** 2;
    db += ((rb[i] as number) - mean) ** 2;
  }
  return num / Math.sqrt(da * db);
}

/** Share of the `k` largest entries of `b` that are among the `k` largest of `a`. @example `topOverlap(w, ref, 5)` */
export function topOverlap(a: ArrayLike<number>, b: ArrayLike<number>, k: number): number {
  const top = (v: ArrayLike<number>) =>
    new Set(
      Array.from(v, (_, i) => i)
        .sort((i, j) => (v[j] as number) - (v[i] as number))
        .slice(0, k),
    );
  const ta = top(a);
  return [...top(b)].filter((i) => ta.has(i)).length / k;
}

const opts = { target: 0, batchSize: 32 };

/** LIME's scored coalitions: the design and each row's score (row 0 is the unperturbed input). */
export interface LimeSamples {
  readonly set: CoalitionSet;
  readonly scores: Float64Array;
}

/** LIME's fit (kernel width 0.25, ridge 1, as the method's defaults) of scored coalitions. @example `limeFit(await limeSamples(problem, 513, 1, 'balanced'))` */
export function limeFit({ set, scores }: LimeSamples): Float64Array {
  return weightedRidge({ rows: set.count, cols: set.features, data: set.z }, scores, limeWeights(set, 0.25), { alpha: 1 }).coef;
}

/** `samples` coalitions of the given design, scored as the method scores them (the first from the clean pass). @example `await limeSamples(problem, 1000, 1, 'independent')` */
export async function limeSamples(problem: SuperpixelProblem, samples: number, seed: number, sampling: LimeSampling): Promise<LimeSamples> {
  const features = problem.segmentations[0]?.count as number;
  const set = limeDesign(features, samples, seed, sampling);
  const [scores] = await scoreLimeSets(problem, [set], opts);
  return { set, scores: scores as Float64Array };
}

/**
 * LIME's superpixel weights from `samples` coalitions of the given design (see {@link limeFit}).
 *
 * @example `await limeEstimate(problem, 385, 1, 'balanced')`
 */
export async function limeEstimate(problem: SuperpixelProblem, samples: number, seed: number, sampling: LimeSampling): Promise<Float64Array> {
  return limeFit(await limeSamples(problem, samples, seed, sampling));
}

/**
 * One LIME fit over the pooled samples of several runs (each run's row 0, the unperturbed input,
 * is kept once): with independent runs, exactly LIME with their total sample count. Leaving one
 * run out gives a high-sample reference that shares no sample with that run.
 *
 * @example `limeFit(pooledLimeSamples(runs.filter((_, j) => j !== i)))`
 */
export function pooledLimeSamples(runs: readonly LimeSamples[]): LimeSamples {
  const features = runs[0]?.set.features as number;
  const count = 1 + runs.reduce((n, r) => n + r.set.count - 1, 0);
  const z = new Uint8Array(count * features);
  const scores = new Float64Array(count);
  z.set(runs[0]?.set.z.subarray(0, features) as Uint8Array);
  scores[0] = runs[0]?.scores[0] as number;
  let row = 1;
  for (const r of runs) {
    z.set(r.set.z.subarray(features), row * features);
    scores.set(r.scores.subarray(1), row);
    row += r.set.count - 1;
  }
  return { set: { z, count, features }, scores };
}

/** The 0.975 quantile of Student's t with `df` degrees of freedom (Cornish–Fisher expansion to 1/df⁴; within 4e-3 from df 3, 3e-4 from df 5). @example `tQuantile975(59) // ≈ 2.001` */
export function tQuantile975(df: number): number {
  const z = 1.959964;
  const [z3, z5, z7, z9] = [z ** 3, z ** 5, z ** 7, z ** 9];
  return (
    z +
    (z3 + z) / (4 * df) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3) +
    (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * df ** 4)
  );
}

/** Mean of paired differences `b[i] − a[i]` with a 95 % t interval. @example `pairedDifference([0.9, 0.8], [0.92, 0.83]) // { mean: 0.025, low, high }` */
export function pairedDifference(a: readonly number[], b: readonly number[]): { mean: number; low: number; high: number } {
  const d = b.map((v, i) => v - (a[i] as number));
  const n = d.length;
  const mean = d.reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const half = (tQuantile975(n - 1) * sd) / Math.sqrt(n);
  return { mean, low: mean - half, high: mean + half };
}

/** KernelSHAP's Shapley values (efficiency exact). @example `await shapEstimate(problem, 2134, 1, 'kernel')` */
export async function shapEstimate(problem: SuperpixelProblem, budget: number, seed: number, sampling: CoalitionSampling): Promise<Float64Array> {
  const features = problem.segmentations[0]?.count as number;
  const c = shapleyCoalitions(features, budget, seed, sampling);
  const z = new Uint8Array((c.count + 1) * features);
  z.set(c.z, features);
  const [scores] = await scoreCoalitions(problem, [{ z, count: c.count + 1, features }], opts);
  const fb = (scores as Float64Array)[0] as number;
  const y = (scores as Float64Array).subarray(1).map((v) => v - fb);
  return constrainedLeastSquares({ rows: c.count, cols: features, data: c.z }, y, c.weights, (problem.context.scores[0] as number) - fb).x;
}

/** Shapley values from antithetic permutation walks within a budget of `samples` scores. @example `await walkEstimate(problem, 712, 1)` */
export async function walkEstimate(problem: SuperpixelProblem, samples: number, seed: number): Promise<Float64Array> {
  const features = problem.segmentations[0]?.count as number;
  const walks = permutationWalks(features, walkPairs(features, samples), seed);
  const [scores] = await scoreCoalitions(problem, [walks.set], opts);
  return walkShapley(walks, scores as Float64Array, problem.context.scores[0] as number);
}

/**
 * Shapley values from the same antithetic walks as {@link walkEstimate}, corrected by the
 * connected-triple control variate of the superpixel adjacency (KernelSHAP's `control-variate`).
 *
 * @example `await controlVariateEstimate(problem, 712, 1)`
 */
export async function controlVariateEstimate(problem: SuperpixelProblem, samples: number, seed: number): Promise<Float64Array> {
  const seg = problem.segmentations[0] as Segmentation;
  const walks = permutationWalks(seg.count, walkPairs(seg.count, samples), seed);
  const [scores] = await scoreCoalitions(problem, [walks.set], opts);
  return controlVariateShapley(walks, scores as Float64Array, problem.context.scores[0] as number, connectedTriples(seg.count, superpixelAdjacency(seg)));
}
