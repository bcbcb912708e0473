/**
 * Empirical receptive field benchmark (`empiricalReceptiveField`, Zhou et al. 2015): the occlusion
 * estimate of the ICNN results' top conv layer (vgg11-bn at 1/8 width, 128 px, `Relu_33`, random
 * weights) on 4 generated parts images, 3,844 occluded copies each (6-px occluder at stride 2),
 * against the bare cost of the same forward passes: the same trunk run on the same copies, built the
 * same way, with nothing read from its output. The ratio is what the bookkeeping (copies, peaks,
 * the drop by offset) adds to the arithmetic floor.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJson } from '../src/cli/in-process.js';
import { imageFolder } from '../src/datasets/node/image-folder.js';
import { openLayerTrunk } from '../src/dissection/forward.js';
import { Model } from '../src/engine/model.js';
import { nodeRuntime } from '../src/engine/node.js';
import { createModel } from '../src/models/architectures.js';
import { sliceBatch, type Tensor } from '../src/tensor/tensor.js';
import { channelMeans, empiricalReceptiveField, occlude, occluderCorners } from '../src/visualization/empirical-receptive-field.js';
import { type Section, table } from './report.js';
import type { SectionOptions } from './sections.js';

const SIZE = 128;
const LAYER = 'Relu_33';
const PATCH = 6;
const STRIDE = 2;

/** The occluded copies of one image, as the estimate makes them. */
function copies(image: Tensor): { name: string; image: () => Promise<Tensor> }[] {
  const sample = [3, SIZE, SIZE];
  const means = channelMeans(image, sample);
  return occluderCorners(SIZE, SIZE, PATCH, STRIDE).map(([y, x]) => ({ name: `${y},${x}`, image: async () => occlude(image, sample, means, y, x, PATCH) }));
}

export async function benchReceptiveField(o: SectionOptions): Promise<Section> {
  const dir = await mkdtemp(join(tmpdir(), 'lucerna-bench-rf-'));
  try {
    await runJson('dataset', 'parts', '--out', join(dir, 'parts'), '--n', '40', '--seed', '1', '--size', String(SIZE), '--classes', '2');
    const data = await imageFolder(join(dir, 'parts', 'classes'), { sampleShape: [3, SIZE, SIZE] });
    const batch = await data.read([0, 1, 2, 3], 0);
    const images = [0, 1, 2, 3].map((i) => sliceBatch(batch.x, i, 1));
    await using model = await Model.load(createModel('vgg11-bn', { classes: 2, input: [3, SIZE, SIZE], seed: 0, width: 0.125 }), {
      runtime: nodeRuntime,
      name: 'vgg11-bn',
    });
    const rows: string[][] = [];
    for (let rep = 0; rep < (o.quick ? 1 : 2); rep++) {
      const t0 = performance.now();
      {
        await using trunk = await openLayerTrunk(model, [LAYER], [3, SIZE, SIZE], 32);
        for (const image of images) await trunk.run(copies(image), () => undefined, {});
      }
      const bare = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      const field = await empiricalReceptiveField(model, LAYER, images, { patch: PATCH, stride: STRIDE, batchSize: 32 });
      const whole = (performance.now() - t1) / 1000;
      rows.push([String(rep + 1), bare.toFixed(2), whole.toFixed(2), (whole / bare).toFixed(2), field.radius.toFixed(1)]);
    }
    const body = `vgg11-bn (1/8 width, random weights), ${SIZE} px, \`${LAYER}\`, 4 parts images × ${copies(images[0] as Tensor).length} occluded copies, batch 32.\n\n${table(
      ['run', 'bare forward passes of the copies (s)', 'empiricalReceptiveField (s)', 'ratio', 'radius (px)'],
      rows,
    )}\n\nThe bare cost runs the same trunk on the same copies in batches of 32 and reads nothing back; the estimate adds one forward pass per image for the peaks and the drop bookkeeping per copy and unit.`;
    return { title: 'Empirical receptive field', body };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
