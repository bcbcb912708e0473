/**
 * Explanatory-graph benchmark (Zhang et al. 2018, https://arxiv.org/abs/1708.01785): `lucerna graph
 * build` on the bundled MobileNetV2 (nsfwjs weights, a trained network of real size, 224 px) over
 * 4 conv layers × the bird images of a generated parts set, then `graph locate` (3 shots) per image
 * located, and the bare forward pass of the same trunk over the same images for scale.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJson } from '../src/cli/in-process.js';
import { nodeRuntime } from '../src/engine/node.js';
import { setDefaultRuntime } from '../src/engine/runtime.js';
import { type Section, table } from './report.js';
import type { SectionOptions } from './sections.js';

/** Expansion convolutions of the top blocks (14×14, 14×14, 7×7, 7×7), lower → top. */
const LAYERS = ['block_12_expand', 'block_13_expand', 'block_15_expand', 'block_16_expand'];
const PATTERNS = '2,2,1,1';

export async function benchGraph(o: SectionOptions): Promise<Section> {
  setDefaultRuntime(nodeRuntime);
  const dir = await mkdtemp(join(tmpdir(), 'lucerna-bench-graph-'));
  try {
    const data = join(dir, 'parts');
    const n = o.quick ? 60 : 120;
    await runJson('dataset', 'parts', '--out', data, '--n', String(n), '--seed', '1', '--size', '224', '--classes', '1');
    const rows: string[][] = [];
    for (let rep = 0; rep < (o.quick ? 1 : 2); rep++) {
      const out = join(dir, `g${rep}`);
      const t0 = performance.now();
      const built = await runJson(
        'graph',
        'build',
        'bundled',
        '--dataset',
        data,
        '--class',
        'bird',
        '--layer',
        LAYERS.join(','),
        '--patterns',
        PATTERNS,
        '--out',
        out,
      );
      const build = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      const loc = await runJson('graph', 'locate', join(out, 'graph.json'), '--dataset', data, '--part', 'head', '--shots', '3', '--out', join(dir, `l${rep}`));
      const locate = (performance.now() - t1) / 1000;
      const perImage = (1000 * locate) / (loc.heldOut + 3);
      rows.push([String(rep + 1), String(built.images), String(built.nodes), build.toFixed(1), (build / built.images).toFixed(2), perImage.toFixed(0)]);
    }
    const body = `Bundled MobileNetV2 (nsfwjs weights), 224 px, layers ${LAYERS.join(', ')}, patterns ${PATTERNS}, 15 parents, 5 peaks, 5 EM iterations; bird images of \`lucerna dataset parts --n ${n} --seed 1 --size 224 --classes 1\`; locate: head, 3 shots, every other bird image (model loading included).\n\n${table(
      ['run', 'images', 'nodes', 'graph build (s)', 'build per image (s)', 'locate per image (ms)'],
      rows,
    )}`;
    return { title: 'Explanatory graph', body };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
