/**
 * Selection runs for LIME's default (issue #12 defect 12), not a test: on images and seeds that the
 * bench does not report, LIME's superpixel weights at several budgets and designs are compared with
 * a LIME fit over many independent samples (Spearman, top-5 and top-10 overlap).
 *
 * @example
 * ```sh
 * node --import tsx scripts/select-lime.ts --images camera.png,horse.png,rocket.jpg --seeds 101,102
 * ```
 */
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scriptArgs } from './script-args.js';
import '../src/node.js';
import { limeEstimate, spearman, topOverlap } from '../bench/superpixel-fidelity.js';
import type { LimeSampling } from '../src/attribution/perturbation/lime.js';
import { prepareSuperpixels } from '../src/attribution/perturbation/superpixel-sampling.js';
import { openModel } from '../src/cli/model.js';
import { loadImageTensor } from '../src/io/image.js';

const { values } = scriptArgs('scripts/select-lime.ts', {
  images: { type: 'string', default: 'camera.png,horse.png,rocket.jpg' },
  seeds: { type: 'string', default: '101,102,103,104' },
  reference: { type: 'string', default: '8000' },
  settings: { type: 'string', default: '1000:independent,513:balanced,321:balanced' },
  out: { type: 'string', default: '/tmp/lime-select.jsonl' },
});

const opened = await openModel('bundled');
const { model } = opened;
const settings = (values.settings as string).split(',').map((s) => {
  const [n, design] = s.split(':');
  return { name: s, samples: Number(n), design: design as LimeSampling };
});
for (const name of (values.images as string).split(',')) {
  const file = fileURLToPath(new URL(`../../shared/images/${name}`, import.meta.url));
  const { tensor: x } = await loadImageTensor(file, { ...opened.preprocessing, inputDims: model.input.dims });
  const problem = await prepareSuperpixels(model, x, { batchSize: 32 }, 'LIME');
  const ref = await limeEstimate(problem, Number(values.reference), 999, 'independent');
  for (const seed of (values.seeds as string).split(',').map(Number)) {
    const line: Record<string, unknown> = { image: name, seed, k: problem.segmentations[0]?.count };
    for (const s of settings) {
      const w = await limeEstimate(problem, s.samples, seed, s.design);
      line[s.name] = { spearman: spearman(w, ref), top5: topOverlap(w, ref, 5), top10: topOverlap(w, ref, 10) };
    }
    appendFileSync(values.out as string, `${JSON.stringify(line)}\n`);
    console.log(JSON.stringify(line));
  }
}
await opened[Symbol.asyncDispose]();
