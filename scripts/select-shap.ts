/**
 * Selection runs for KernelSHAP's default (issue #12 defect 12), not a test: on images and seeds
 * that the bench does not report, each candidate estimator's superpixel weights are compared with
 * a high-budget reference of unbiased permutation walks (Spearman, top-5 overlap, squared error).
 *
 * @example
 * ```sh
 * node --import tsx scripts/select-shap.ts --images camera.png,horse.png,rocket.jpg --seeds 101,102
 * ```
 */
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import '../src/node.js';
import { shapEstimate, spearman, topOverlap } from '../bench/superpixel-fidelity.js';
import { constrainedLeastSquares } from '../src/attribution/perturbation/regression.js';
import { permutationWalks, type WalkDesign, walkPairs, walkShapley } from '../src/attribution/perturbation/shapley-permutations.js';
import { prepareSuperpixels, type SuperpixelProblem, scoreCoalitions } from '../src/attribution/perturbation/superpixel-sampling.js';
import { openModel } from '../src/cli/model.js';
import { loadImageTensor } from '../src/io/image.js';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: 'camera.png,horse.png,rocket.jpg' },
    seeds: { type: 'string', default: '101,102,103,104' },
    reference: { type: 'string', default: '120' },
    candidates: { type: 'string', default: 'earlier,walks,stratified,walkreg,leverage' },
    out: { type: 'string', default: '/tmp/shap12c/select.jsonl' },
  },
});

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Walks and, from the same scores, the regression on the walks' coalitions. */
async function walks(problem: SuperpixelProblem, samples: number, seed: number, design: WalkDesign) {
  const k = problem.segmentations[0]?.count as number;
  const w = permutationWalks(k, walkPairs(k, samples), seed, design);
  const [scores] = await scoreCoalitions(problem, [w.set], { target: 0, batchSize: 32 });
  const s = scores as Float64Array;
  const full = problem.context.scores[0] as number;
  return { phi: walkShapley(w, s, full), reg: walkRegression(w.set.z, w.set.count, k, s, full), rows: w.set.count };
}

/** Regression on walk rows: each size visited equally often, so the kernel weight over the draw probability is ∝ 1/(s(K − s)). */
function walkRegression(z: Uint8Array, count: number, k: number, scores: Float64Array, full: number): Float64Array {
  const rows = count - 1;
  const y = new Float64Array(rows);
  const w = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let size = 0;
    for (let j = 0; j < k; j++) size += z[(r + 1) * k + j] as number;
    w[r] = 1 / (size * (k - size));
    y[r] = (scores[r + 1] as number) - (scores[0] as number);
  }
  return constrainedLeastSquares({ rows, cols: k, data: z.subarray(k) }, y, w, full - (scores[0] as number)).x;
}

const model0 = await openModel('bundled');
const { model } = model0;
const candidates = (values.candidates as string).split(',');
for (const name of (values.images as string).split(',')) {
  const file = fileURLToPath(new URL(`../../shared/images/${name}`, import.meta.url));
  const { tensor: x } = await loadImageTensor(file, { ...model0.preprocessing, inputDims: model.input.dims });
  const problem = await prepareSuperpixels(model, x, { batchSize: 32 }, 'KernelSHAP');
  const k = problem.segmentations[0]?.count as number;
  const pairs = Number(values.reference);
  const ref = (await walks(problem, pairs * 2 * (k - 1), 999, 'independent')).phi;
  const budget = Math.floor((2 * k + 2048) / 3);
  console.log(`${name}: K ${k}, target ${problem.context.targets[0]}, budget ${budget}`);
  for (const seed of (values.seeds as string).split(',').map(Number)) {
    const results: Record<string, { phi: Float64Array; cpu: number }> = {};
    for (const c of candidates) {
      const c0 = cpu();
      if (c === 'earlier') results[c] = { phi: await shapEstimate(problem, 2 * k + 2048, seed, 'kernel'), cpu: 0 };
      else if (c === 'leverage') results[c] = { phi: await shapEstimate(problem, budget, seed, 'leverage'), cpu: 0 };
      else if (c === 'kernel712') results[c] = { phi: await shapEstimate(problem, budget, seed, 'kernel'), cpu: 0 };
      else if (c === 'walks' || c === 'stratified') {
        const r = await walks(problem, budget, seed, c === 'walks' ? 'independent' : 'stratified');
        results[c] = { phi: r.phi, cpu: 0 };
        results[c === 'walks' ? 'walkreg' : 'swalkreg'] = { phi: r.reg, cpu: 0 };
        const mix = r.phi.map((v, i) => (v + (r.reg[i] as number)) / 2);
        results[c === 'walks' ? 'walkmix' : 'swalkmix'] = { phi: mix, cpu: 0 };
      }
      if (results[c]) results[c] = { ...(results[c] as { phi: Float64Array }), cpu: cpu() - c0 };
    }
    const line: Record<string, unknown> = { image: name, seed, k };
    for (const [c, r] of Object.entries(results)) {
      let se = 0;
      for (let i = 0; i < k; i++) se += ((r.phi[i] as number) - (ref[i] as number)) ** 2;
      line[c] = { spearman: spearman(r.phi, ref), top5: topOverlap(r.phi, ref, 5), top10: topOverlap(r.phi, ref, 10), se, cpu: r.cpu };
    }
    appendFileSync(values.out as string, `${JSON.stringify(line)}\n`);
    console.log(
      `${name} seed ${seed}: ${Object.entries(line)
        .filter(([, v]) => typeof v === 'object')
        .map(([c, v]) => {
          const a = v as { spearman: number; top5: number; se: number };
          return `${c} ${a.spearman.toFixed(3)}/${a.top5.toFixed(1)}/${a.se.toExponential(2)}`;
        })
        .join('  ')}`,
    );
  }
}
await model0[Symbol.asyncDispose]();
