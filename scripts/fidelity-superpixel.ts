/**
 * Fidelity of LIME and KernelSHAP at reduced sample counts (issue #12 defect 12), not a test: on
 * the bundled model and a bundled photo, each estimate's superpixel weights are compared with a
 * high-sample reference of the same method (Spearman rank correlation over superpixels, and the
 * overlap of the top 5), over several seeds. The check's pieces are in bench/superpixel-fidelity.ts;
 * the bench's `superpixel` section runs the defaults. Settings are chosen here on seeds 101–108 (the
 * default); the bench reports seeds 1–20 on three images, which no setting was picked on.
 *
 * @example
 * ```sh
 * node --import tsx scripts/fidelity-superpixel.ts --methods lime --reference 8000
 * ```
 */
import { fileURLToPath } from 'node:url';
import { scriptArgs } from './script-args.js';
import '../src/node.js';
import { limeEstimate, shapEstimate, spearman, topOverlap, walkEstimate } from '../bench/superpixel-fidelity.js';
import { prepareSuperpixels } from '../src/attribution/perturbation/superpixel-sampling.js';
import { openModel } from '../src/cli/model.js';
import { loadImageTensor } from '../src/io/image.js';

const { values } = scriptArgs('scripts/fidelity-superpixel.ts', {
  methods: { type: 'string', default: 'lime,kernel-shap' },
  image: { type: 'string', default: 'coffee.png' },
  reference: { type: 'string', default: '8000' },
  seeds: { type: 'string', default: '101,102,103,104,105,106,107,108' },
});

const image = fileURLToPath(new URL(`../assets/images/${values.image}`, import.meta.url));
await using opened = await openModel('bundled');
const { model } = opened;
const { tensor: x } = await loadImageTensor(image, { ...opened.preprocessing, inputDims: model.input.dims });
const problem = await prepareSuperpixels(model, x, { target: 0, batchSize: 32 }, 'LIME');
const features = problem.segmentations[0]?.count as number;
const methods = (values.methods as string).split(',');
const seeds = (values.seeds as string).split(',').map(Number);
const agreement = (w: Float64Array, ref: Float64Array) => `${spearman(w, ref).toFixed(3)} (top-5 ${topOverlap(w, ref, 5).toFixed(1)})`;

if (methods.includes('lime')) {
  const reference = await limeEstimate(problem, Number(values.reference), 999, 'independent');
  console.log(`LIME, ${values.image}, ${features} superpixels, reference ${values.reference} samples (independent)`);
  for (const [samples, sampling] of [
    [1000, 'independent'],
    [500, 'paired'],
    [305, 'paired'],
    [305, 'balanced'],
    [385, 'balanced'],
    [449, 'balanced'],
    [513, 'balanced'],
  ] as const) {
    const rows = [];
    for (const seed of seeds) rows.push(agreement(await limeEstimate(problem, samples, seed, sampling), reference));
    console.log(`${String(samples).padStart(5)} ${sampling.padEnd(11)}: ${rows.join('  ')}`);
  }
}

if (methods.includes('kernel-shap')) {
  // The reference is the mean of a converged regression and converged permutation walks, so
  // neither estimator is judged against its own kind.
  const regression = await shapEstimate(problem, Number(values.reference), 999, 'kernel');
  const walks = await walkEstimate(problem, Number(values.reference), 999);
  const reference = regression.map((v, i) => (v + (walks[i] as number)) / 2);
  console.log(
    `KernelSHAP, ${values.image}, ${features} superpixels, reference: mean of ${values.reference} regression coalitions and ${values.reference} walk scores (they agree at ${spearman(regression, walks).toFixed(3)})`,
  );
  const auto = 2 * features + 2048;
  for (const [budget, estimator] of [
    [auto, 'kernel'],
    [Math.floor(auto / 3), 'kernel'],
    [Math.floor(auto / 3), 'walks'],
    [1000, 'leverage'],
  ] as const) {
    const rows = [];
    for (const seed of seeds) {
      const w = estimator === 'walks' ? await walkEstimate(problem, budget, seed) : await shapEstimate(problem, budget, seed, estimator);
      rows.push(agreement(w, reference));
    }
    console.log(`${String(budget).padStart(5)} ${estimator.padEnd(8)}: ${rows.join('  ')}`);
  }
}
