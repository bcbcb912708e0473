/**
 * The interpretable-CNN comparison (Zhang, Wu & Zhu 2018, https://arxiv.org/abs/1710.00935) at a
 * tiny scale: the same vgg11-bn (1/8 width, 64 px) trained on bird vs. none figures ordinarily and
 * with the mask and filter loss on the top conv layer of its 8×8 block (`Relu_23`; the top conv
 * `Relu_33` has 4×4 maps, whose 16-px cells are as coarse as the effect, see docs/icnn.md).
 *
 * It asserts the three claims, as RESULTS.md checks them at full size:
 * - the interpretable net's filters are more stable: location instability on the bird images at
 *   most 0.8× the ordinary net's;
 * - their part interpretability is higher, as the paper measures it (§5.2.1: on the maps after
 *   ReLU/mask, the share of a part's bird images where a filter's region has IoU > 0.2 with it; the
 *   region both as NetDissect's upsampled top 0.5 % and as the paper's round receptive fields of each
 *   net's empirical radius) and as NetDissect's mean best part IoU (`lucerna dissect --categories part`);
 * - held-out accuracy drops by no more than 5 points (400 figures generated with another seed);
 * and that the filters are far more silent on `none` images, relative to bird images (the filter
 * loss explains `none` images by the negative template).
 * At this setting (320 figures, 12 epochs from scratch) data seeds 2–9 gave instability ratios 0.750,
 * 0.769, 0.767, 0.727, 0.675, 0.826, 0.644, 0.707 (7 of 8 ≤ 0.8), the paper's part interpretability
 * higher in 6 of 8 (upsampled) and 7 of 8 (round receptive fields), NetDissect's part IoU higher in 8 of 8, and accuracy drops ≤ 1 point in 8 of 8
 * (docs/icnn.md, "At tiny scale"). The test keeps data seed 2, its seed since session 5. The tiny nets train from scratch: a shared pretraining with a short fine-tune (RESULTS.md's
 * protocol) left the instability ratio at 0.99 at this size (seed 2: 3 + 1 epochs, 160 figures).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { empiricalRadius } from '../../scripts/results/icnn-parts.js';
import { imageFolder } from '../../src/datasets/node/image-folder.js';
import type { Dataset } from '../../src/datasets/types.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { createModel } from '../../src/models/architectures.js';
import { graphFromBytes } from '../../src/onnx/builder.js';
import { predictRows } from '../../src/robust/evaluate.js';
import { maskedTensorName } from '../../src/training/interpretable/mask.js';
import { meanActivations, noneToObjectRatio } from '../../src/training/interpretable/setup.js';
import { lucernaJson } from '../helpers/cli.js';

const work = await mkdtemp(join(tmpdir(), 'lucerna-icnn-ordering-'));
after(() => rm(work, { recursive: true, force: true }));

const LAYER = 'Relu_23';
const SIZE = 64;

async function ratio(model: string, data: Dataset): Promise<number> {
  const means = await meanActivations(nodeRuntime, graphFromBytes(readFileSync(model)), [LAYER], data, 2, { tensors: [LAYER], mode: 'single' }, {});
  return noneToObjectRatio(means.get(LAYER) as Float64Array, 2, 1);
}

/** The share of `data`'s images that `model` classifies right. */
async function accuracy(model: string, data: Dataset): Promise<number> {
  const batch = await data.read(
    Array.from({ length: data.size }, (_, i) => i),
    0,
  );
  await using net = await Model.load(readFileSync(model), { runtime: nodeRuntime });
  const predicted = await predictRows(net, batch.x, { batchSize: 32 });
  return predicted.filter((p, i) => p === batch.labels[i]).length / data.size;
}

describe('interpretable CNN vs ordinary (tiny)', () => {
  it('noneToObjectRatio: mean activation on none over the mean on the object classes', () => {
    assert.equal(noneToObjectRatio(new Float64Array([2, 4, 0.5, 1]), 2, 1), 0.25);
    // three classes, none in the middle: object mean (1 + 3)/2 = 2 per filter, none 1
    assert.equal(noneToObjectRatio(new Float64Array([1, 1, 1, 1, 3, 3]), 3, 1), 0.5);
  });

  it('meanActivations samples every class of a class-sorted set', async () => {
    const shape = [3, 8, 8];
    const size = 300;
    const labels = Int32Array.from({ length: size }, (_, i) => (i < 200 ? 0 : 1)); // class 0 first, as an image folder lists them
    const data: Dataset = {
      size,
      sampleShape: shape,
      classNames: ['bird', 'none'],
      labels: async () => labels,
      read: async (indices) => ({
        x: { data: new Float32Array(indices.length * 192).fill(0.5), shape: [indices.length, ...shape] },
        labels: Int32Array.from(indices, (i) => labels[i] as number),
      }),
    };
    const graph = graphFromBytes(createModel('small-cnn', { classes: 2, input: [3, 8, 8], seed: 1 }));
    const means = (await meanActivations(nodeRuntime, graph, ['Relu_3'], data, 2, { tensors: ['Relu_3'], mode: 'multi', assignSamples: 64 }, {})).get(
      'Relu_3',
    ) as Float64Array;
    const filters = means.length / 2;
    const row = (k: number) => means.subarray(k * filters, (k + 1) * filters);
    assert.ok(
      row(1).some((v) => v > 0),
      'the none rows were read',
    );
    // identical inputs: both classes have the same mean activations
    for (let c = 0; c < filters; c++) assert.ok(Math.abs((row(0)[c] as number) - (row(1)[c] as number)) < 1e-5);
    // reduce 'peak': the mean over images of each map's maximum, never below the spatial mean
    const peaks = (await meanActivations(nodeRuntime, graph, ['Relu_3'], data, 2, { tensors: ['Relu_3'], mode: 'multi', assignSamples: 64 }, {}, 'peak')).get(
      'Relu_3',
    ) as Float64Array;
    for (let i = 0; i < means.length; i++) assert.ok((peaks[i] as number) >= (means[i] as number) - 1e-6, `filter ${i}`);
    assert.ok(
      peaks.some((v, i) => v > (means[i] as number) + 1e-4),
      'some map is not flat',
    );
  });

  it('interpretable filters: instability ≤ 0.8× the ordinary net’s, part IoU higher, accuracy drop ≤ 5 points, silent on none images (none/bird activation ≤ 0.5× the ordinary net’s)', async () => {
    const parts = join(work, 'parts');
    await lucernaJson('dataset', 'parts', '--out', parts, '--n', '320', '--seed', '2', '--size', String(SIZE), '--classes', '1');
    const classes = join(parts, 'classes');
    const model = join(work, 'm.onnx');
    writeFileSync(model, createModel('vgg11-bn', { classes: 2, input: [3, SIZE, SIZE], seed: 0, width: 1 / 8 }));
    // Batch 8 and a cosine schedule: with fewer, larger steps the BatchNorm running statistics are not
    // yet those of the final weights, and the checkpoint's outputs do not depend on the image.
    const flags = [
      ...['--dataset', classes, '--batch-size', '8', '--epochs', '12', '--optimizer', 'adamw', '--lr', '0.003', '--weight-decay', '0.05'],
      ...['--schedule', 'cosine', '--val', '0', '--no-crop', '--no-report'],
    ];
    await lucernaJson('train', model, ...flags, '--out', join(work, 'plain.onnx'));
    const icnn = await lucernaJson('train', model, ...flags, '--interpretable', LAYER, '--tau', '0.01', '--out', join(work, 'icnn.onnx'));
    const curve = icnn.termLosses[`filter_loss:${LAYER}`] as number[];
    assert.ok((curve.at(-1) as number) < (curve[0] as number), `filter loss ${curve[0]} → ${curve.at(-1)}`);
    const instability = async (m: string) =>
      (await lucernaJson('stability', join(work, m), '--dataset', parts, '--layer', LAYER, '--class', 'bird')).instability as number;
    const [plainInstability, icnnInstability] = [await instability('plain.onnx'), await instability('icnn.onnx')];
    assert.ok(icnnInstability <= 0.8 * plainInstability, `location instability: interpretable ${icnnInstability}, ordinary ${plainInstability}`);
    // Part interpretability (mean over the filters of their best part IoU, NetDissect on the figures' parts):
    // over data seeds 2 and 3 it was 0.079 vs 0.021 and 0.028 vs 0.014 (interpretable vs ordinary).
    const partIou = async (m: string) => {
      const r = await lucernaJson(
        'dissect',
        join(work, m),
        '--dataset',
        parts,
        '--layer',
        LAYER,
        '--categories',
        'part',
        '--out',
        join(work, `d-${m.replace('.onnx', '')}`),
      );
      const [header, ...rows] = readFileSync(r.layers[0].tally, 'utf8').trim().split('\n');
      const at = (header ?? '').split(',').indexOf('part-iou');
      return rows.reduce((sum, l) => sum + Number(l.split(',')[at]), 0) / rows.length;
    };
    const [plainIou, icnnIou] = [await partIou('plain.onnx'), await partIou('icnn.onnx')];
    assert.ok(icnnIou > plainIou, `part IoU: interpretable ${icnnIou}, ordinary ${plainIou}`);
    // And as the paper measures it (§5.2.1): the maps after ReLU/mask, on the bird images, the share of a part's images where a
    // filter's top region has IoU > 0.2 with it. Over data seeds 2–9 it was higher in 6 of 8 (seed 2: 0.062 vs 0.021).
    const paperPart = async (m: string, tensor: string) =>
      (
        await lucernaJson(
          'dissect',
          join(work, m),
          ...['--dataset', parts, '--layer', tensor, '--categories', 'part', '--where', 'object=bird', '--out', join(work, `p-${m.replace('.onnx', '')}`)],
        )
      ).layers[0].partAssociation as number;
    const [plainP, icnnP] = [await paperPart('plain.onnx', LAYER), await paperPart('icnn.onnx', maskedTensorName(LAYER))];
    assert.ok(icnnP > plainP, `the paper's part interpretability: interpretable ${icnnP}, ordinary ${plainP}`);
    // With the paper's own region (footnote 5): a round receptive field around every activation above the threshold, of
    // each net's empirical radius on the layer (Zhou et al. 2015; RESULTS.md's deciding measure since session 15). Over
    // data seeds 2–9 it was higher in 7 of 8 (seed 2: 0.044 vs 0.067, radii 4.7 and 1.9 px; seed 9 lower, 0.062 vs 0.052).
    const rfPart = async (m: string, tensor: string) => {
      const radius = await empiricalRadius(join(work, m), LAYER, classes, SIZE);
      const out = join(work, `r-${m.replace('.onnx', '')}`);
      const args = ['--dataset', parts, '--layer', tensor, '--categories', 'part', '--where', 'object=bird', '--association-radius', String(radius)];
      return (await lucernaJson('dissect', join(work, m), ...args, '--out', out)).layers[0].partAssociation as number;
    };
    const [plainRf, icnnRf] = [await rfPart('plain.onnx', LAYER), await rfPart('icnn.onnx', maskedTensorName(LAYER))];
    assert.ok(icnnRf > plainRf, `the paper's part interpretability, round receptive fields: interpretable ${icnnRf}, ordinary ${plainRf}`);
    const data = await imageFolder(classes, { sampleShape: [3, SIZE, SIZE] });
    const plain = await ratio(join(work, 'plain.onnx'), data);
    const interpretable = await ratio(join(work, 'icnn.onnx'), data);
    assert.ok(interpretable <= 0.5 * plain, `none/bird activation: interpretable ${interpretable}, ordinary ${plain}`);
    // Held-out accuracy on figures neither net saw (another data seed); over data seeds 2–9 the drop was ≤ 1 point.
    const held = join(work, 'held');
    await lucernaJson('dataset', 'parts', '--out', held, '--n', '400', '--seed', '1002', '--size', String(SIZE), '--classes', '1');
    const heldOut = await imageFolder(join(held, 'classes'), { sampleShape: [3, SIZE, SIZE] });
    const [plainAccuracy, icnnAccuracy] = [await accuracy(join(work, 'plain.onnx'), heldOut), await accuracy(join(work, 'icnn.onnx'), heldOut)];
    assert.ok(plainAccuracy >= 0.8, `the ordinary net learned the task: held-out accuracy ${plainAccuracy}`);
    assert.ok(icnnAccuracy >= plainAccuracy - 0.05, `held-out accuracy: interpretable ${icnnAccuracy}, ordinary ${plainAccuracy}`);
  });
});
