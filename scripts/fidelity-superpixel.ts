/**
 * Fidelity of LIME and KernelSHAP at reduced sample counts (issue #12 defect 12), not a test: on
 * the bundled model and a bundled photo, each estimate's superpixel weights are compared with a
 * high-sample reference of the same method (rank correlation over superpixels, and the overlap of
 * the top 5), over several seeds. The forward passes are shared through the model's own scorer.
 *
 * `node --import tsx scripts/fidelity-superpixel.ts [--image coffee.png] [--reference 8000] [--seeds 1,2,3]`
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import '../src/node.js';
import { type CoalitionSampling, shapleyCoalitions } from '../src/attribution/perturbation/kernel-shap.js';
import { limeCoalitions, limeWeights } from '../src/attribution/perturbation/lime.js';
import { constrainedLeastSquares, weightedRidge } from '../src/attribution/perturbation/regression.js';
import { prepareSuperpixels, scoreCoalitions } from '../src/attribution/perturbation/superpixel-sampling.js';
import { openModel } from '../src/cli/model.js';
import { loadImageTensor } from '../src/io/image.js';

const { values } = parseArgs({
  options: {
    methods: { type: 'string', default: 'lime,kernel-shap' },
    image: { type: 'string', default: 'coffee.png' },
    reference: { type: 'string', default: '8000' },
    seeds: { type: 'string', default: '1,2,3' },
  },
});

/** Spearman rank correlation (average ranks for ties). */
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
  const n = ra.length;
  const mean = (n - 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += ((ra[i] as number) - mean) * ((rb[i] as number) - mean);
    da += ((ra[i] as number) - mean) ** 2;
    db += ((rb[i] as number) - mean) ** 2;
  }
  return num / Math.sqrt(da * db);
}

function topOverlap(a: ArrayLike<number>, b: ArrayLike<number>, k: number): number {
  const top = (v: ArrayLike<number>) =>
    new Set(
      Array.from(v, (_, i) => i)
        .sort((i, j) => (v[j] as number) - (v[i] as number))
        .slice(0, k),
    );
  const ta = top(a);
  return [...top(b)].filter((i) => ta.has(i)).length / k;
}

const image = fileURLToPath(new URL(`../assets/images/${values.image}`, import.meta.url));
await using opened = await openModel('bundled');
const { model } = opened;
const { tensor: x } = await loadImageTensor(image, { ...opened.preprocessing, inputDims: model.input.dims });
const options = { target: 0, batchSize: 32 };
const problem = await prepareSuperpixels(model, x, options, 'LIME');
const features = problem.segmentations[0]?.count as number;
const lime = async (samples: number, seed: number, paired: boolean) => {
  const set = limeCoalitions(features, samples, seed, paired);
  const [scores] = await scoreCoalitions(problem, [set], options);
  return weightedRidge({ rows: set.count, cols: features, data: set.z }, scores as Float64Array, limeWeights(set, 0.25), { alpha: 1 }).coef;
};
const methods = (values.methods as string).split(',');
const seeds = (values.seeds as string).split(',').map(Number);
if (methods.includes('lime')) {
  const reference = await lime(Number(values.reference), 999, false);
  console.log(`LIME, ${values.image}, ${features} superpixels, reference ${values.reference} samples (independent)`);
  for (const [samples, paired] of [
    [1000, false],
    [1000, true],
    [500, true],
    [333, true],
    [333, false],
  ] as const) {
    const rows = [];
    for (const seed of (values.seeds as string).split(',').map(Number)) {
      const w = await lime(samples, seed, paired);
      rows.push(`${spearman(w, reference).toFixed(3)} (top-5 ${topOverlap(w, reference, 5).toFixed(1)})`);
    }
    console.log(`${String(samples).padStart(5)} ${paired ? 'paired     ' : 'independent'}: ${rows.join('  ')}`);
  }
}

const shap = async (budget: number, seed: number, sampling: CoalitionSampling) => {
  const c = shapleyCoalitions(features, budget, seed, sampling);
  const z = new Uint8Array((c.count + 1) * features);
  z.set(c.z, features);
  const [scores] = await scoreCoalitions(problem, [{ z, count: c.count + 1, features }], options);
  const fb = (scores as Float64Array)[0] as number;
  const y = (scores as Float64Array).subarray(1).map((v) => v - fb);
  return constrainedLeastSquares({ rows: c.count, cols: features, data: c.z }, y, c.weights, (problem.context.scores[0] as number) - fb).x;
};
if (methods.includes('kernel-shap')) {
  const reference = await shap(Number(values.reference), 999, 'kernel');
  console.log(`KernelSHAP, ${values.image}, ${features} superpixels, reference ${values.reference} coalitions (kernel sampling)`);
  for (const [budget, sampling] of [
    [2 * features + 2048, 'kernel'],
    [2 * features + 2048, 'leverage'],
    [1000, 'leverage'],
    [716, 'leverage'],
    [716, 'kernel'],
  ] as const) {
    const rows = [];
    for (const seed of seeds) {
      const w = await shap(budget, seed, sampling);
      rows.push(`${spearman(w, reference).toFixed(3)} (top-5 ${topOverlap(w, reference, 5).toFixed(1)})`);
    }
    console.log(`${String(budget).padStart(5)} ${sampling.padEnd(8)}: ${rows.join('  ')}`);
  }
}
