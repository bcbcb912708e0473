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
import { permutationWalks, walkPairs, walkShapley } from '../src/attribution/perturbation/shapley-permutations.js';
import { type SuperpixelProblem, scoreCoalitions } from '../src/attribution/perturbation/superpixel-sampling.js';

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

/**
 * LIME's superpixel weights (kernel width 0.25, ridge 1, as the method's defaults) from `samples`
 * coalitions of the given design, scored as the method scores them (the first from the clean pass).
 *
 * @example `await limeEstimate(problem, 385, 1, 'balanced')`
 */
export async function limeEstimate(problem: SuperpixelProblem, samples: number, seed: number, sampling: LimeSampling): Promise<Float64Array> {
  const features = problem.segmentations[0]?.count as number;
  const set = limeDesign(features, samples, seed, sampling);
  const [scores] = await scoreLimeSets(problem, [set], opts);
  return weightedRidge({ rows: set.count, cols: features, data: set.z }, scores as Float64Array, limeWeights(set, 0.25), { alpha: 1 }).coef;
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
