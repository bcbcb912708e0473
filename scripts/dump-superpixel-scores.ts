/**
 * Scores for the control-variate study (issue #12 defect 12, session 10), not a test: on images
 * and seeds the bench does not report, dumps per image the superpixel adjacency, a reference and,
 * per seed, the earlier default's estimate and the raw scores of the cheap design, so that
 * estimators that reuse those scores (surrogate control variates, Goldwasser & Hooker 2023,
 * https://arxiv.org/abs/2310.07672) can be compared offline on exactly the same model rows
 * (scripts/select-cv.ts).
 * - `shap`: reference = 120 antithetic walk pairs (seed 999, scores kept); earlier = kernel
 *   regression on 2K + 2048; cheap = antithetic walks within ⌊(2K + 2048) / 3⌋ scores.
 * - `lime`: reference = LIME on 8,000 independent samples (seed 999); earlier = 1,000 independent;
 *   cheap = `--lime-samples` balanced.
 * - `--walk-pairs N` (shap, session 11): dump N antithetic pairs per seed instead; the walks of
 *   fewer pairs from the same seed are a prefix of these rows, so every smaller budget is scored
 *   offline from one dump. `--reuse DIR`: take the reference and the earlier default of the seeds
 *   already in DIR's dump of the same image (same K and clean score) instead of scoring them again.
 *
 * @example
 * ```sh
 * node --import tsx scripts/dump-superpixel-scores.ts --method shap --images camera.png --seeds 101,102 --out /tmp/cv
 * node --import tsx scripts/dump-superpixel-scores.ts --images camera.png --seeds 101-112 --walk-pairs 16 --reuse /tmp/cv --out /tmp/cv2
 * ```
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scriptArgs } from './script-args.js';
import '../src/node.js';
import { limeEstimate, limeSamples, shapEstimate } from '../bench/superpixel-fidelity.js';
import { superpixelAdjacency } from '../src/attribution/perturbation/shapley-control-variates.js';
import { permutationWalks, walkPairs, walkShapley } from '../src/attribution/perturbation/shapley-permutations.js';
import { prepareSuperpixels } from '../src/attribution/perturbation/superpixel-sampling.js';
import { scoreCoalitions } from '../src/attribution/perturbation/superpixel-scoring.js';
import { openModel } from '../src/cli/model.js';
import { loadImageTensor } from '../src/io/image.js';
import type { Segmentation } from '../src/segmentation/slic.js';

const { values } = scriptArgs('scripts/dump-superpixel-scores.ts', {
  method: { type: 'string', default: 'shap' },
  images: { type: 'string', default: 'camera.png,horse.png,rocket.jpg' },
  seeds: { type: 'string', default: '101,102,103,104,105,106' },
  'lime-samples': { type: 'string', default: '321' },
  out: { type: 'string', default: '/tmp/shap12d' },
  'walk-pairs': { type: 'string' },
  reuse: { type: 'string' },
});

/** `101,102` or `101-112`. */
const seedList = (text: string) =>
  text.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number) as [number, number?];
    return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });

interface EarlierDump {
  k: number;
  full: number;
  reference: unknown;
  runs: { seed: number; earlier: number[] }[];
}

/** An earlier dump of the same image and problem, when `--reuse` names a folder that has one. */
function reusable(name: string, k: number, full: number): EarlierDump | undefined {
  if (!values.reuse) return undefined;
  const file = `${values.reuse}/shap-${name.split('/').pop()}.json`;
  if (!existsSync(file)) return undefined;
  const d = JSON.parse(readFileSync(file, 'utf8')) as EarlierDump;
  if (d.k !== k || Math.abs(d.full - full) > 1e-6) throw new Error(`${file} is another problem (K ${d.k}, f ${d.full})`);
  return d;
}

const opts = { target: 0, batchSize: 32 };
const seeds = seedList(values.seeds as string);
const opened = await openModel('bundled');
const { model } = opened;
for (const name of (values.images as string).split(',')) {
  const file = name.includes('/') ? name : fileURLToPath(new URL(`../../shared/images/${name}`, import.meta.url));
  const { tensor: x } = await loadImageTensor(file, { ...opened.preprocessing, inputDims: model.input.dims });
  const problem = await prepareSuperpixels(model, x, { batchSize: 32 }, values.method === 'lime' ? 'LIME' : 'KernelSHAP');
  const seg = problem.segmentations[0] as Segmentation;
  const k = seg.count;
  const full = problem.context.scores[0] as number;
  const out: Record<string, unknown> = { image: name, k, full, edges: superpixelAdjacency(seg), target: problem.context.targets[0] };
  const t0 = Date.now();
  if (values.method === 'shap') {
    const old = reusable(name, k, full);
    if (old) out.reference = old.reference;
    else {
      const refWalks = permutationWalks(k, 120, 999);
      const [refScores] = await scoreCoalitions(problem, [refWalks.set], opts);
      out.reference = { seed: 999, pairs: 120, scores: [...(refScores as Float64Array)], phi: [...walkShapley(refWalks, refScores as Float64Array, full)] };
    }
    const budget = Math.floor((2 * k + 2048) / 3);
    const pairs = values['walk-pairs'] ? Number(values['walk-pairs']) : walkPairs(k, budget);
    out.runs = [];
    for (const seed of seeds) {
      const kept = old?.runs.find((r) => r.seed === seed)?.earlier;
      const earlier = kept ?? [...(await shapEstimate(problem, 2 * k + 2048, seed, 'kernel'))];
      const w = permutationWalks(k, pairs, seed);
      const [s] = await scoreCoalitions(problem, [w.set], opts);
      (out.runs as unknown[]).push({ seed, pairs: w.orders.length, earlier: [...earlier], scores: [...(s as Float64Array)] });
      console.log(`${name} seed ${seed} done (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  } else {
    out.reference = [...(await limeEstimate(problem, 8000, 999, 'independent'))];
    out.runs = [];
    for (const seed of seeds) {
      const earlier = await limeEstimate(problem, 1000, seed, 'independent');
      const cheap = await limeSamples(problem, Number(values['lime-samples']), seed, 'balanced');
      (out.runs as unknown[]).push({ seed, earlier: [...earlier], z: [...cheap.set.z], count: cheap.set.count, scores: [...cheap.scores] });
      console.log(`${name} seed ${seed} done (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  }
  writeFileSync(`${values.out}/${values.method}-${name.split('/').pop()}.json`, JSON.stringify(out));
}
await opened[Symbol.asyncDispose]();
