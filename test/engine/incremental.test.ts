import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FeatureGroups, featureAblation, featureBox, featureGroups, gridFeatureMask } from '../../src/attribution/perturbation/feature-ablation.js';
import { occlusion } from '../../src/attribution/perturbation/occlusion.js';
import { localOp, windowInputRange, windowOutputRange } from '../../src/engine/incremental/local-ops.js';
import { type Box, planIncremental } from '../../src/engine/incremental/plan.js';
import { IncrementalSession, type LocalEdit } from '../../src/engine/incremental/session.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { isLucernaError } from '../../src/errors.js';
import { buildModel, type GraphBuilder, graphFromBytes } from '../../src/onnx/builder.js';
import { seededRandom } from '../../src/tensor/random.js';
import { concatBatch, type Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { caseInput, type OracleCase, oracle, oracleModelBytes } from '../helpers/oracle.js';
import { regionModel } from '../helpers/perturbation.js';

const [H, W] = [20, 24];

/**
 * Every local op kind the planner knows, with padding at the borders: conv (stride 1 and 2,
 * dilation 2, depthwise), padded max pooling, batch norm, a residual Add, a Concat along channels,
 * unpadded average pooling; then global pooling and a linear head.
 */
function zooModel(): Uint8Array {
  const next = seededRandom(7);
  const rand = (n: number, scale = 0.3) => Float32Array.from({ length: n }, () => scale * (2 * next() - 1));
  const conv = (b: GraphBuilder, x: string, cin: number, cout: number, attrs: Record<string, number | number[]>, k = 3, group = 1) =>
    b.op('Conv', [x, b.constFloat(rand((cout * cin * k * k) / group), [cout, cin / group, k, k], 'w'), b.constFloat(rand(cout), [cout], 'b')], attrs);
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', 3, H, W] }],
    outputs: ['logits'],
    build: (b) => {
      const pre = conv(b, 'x', 3, 8, { pads: [1, 1, 1, 1] });
      const a = b.op('Relu', [pre]);
      const s2 = b.op('Relu', [conv(b, a, 8, 8, { pads: [1, 1, 1, 1], strides: [2, 2] })]);
      // Pooled before the ReLU, so values are negative too and the padding must be −∞, not 0.
      const pool = b.op('MaxPool', [pre], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
      const sum = b.op('Add', [s2, pool]);
      const bn = b.op('BatchNormalization', [
        sum,
        b.constFloat(
          rand(8, 1).map((v) => 1 + v),
          [8],
          's',
        ),
        b.constFloat(rand(8), [8], 'bb'),
        b.constFloat(rand(8), [8], 'm'),
        b.constFloat(
          rand(8, 1).map((v) => 1.5 + v),
          [8],
          'v',
        ),
      ]);
      const dil = b.op('Clip', [conv(b, bn, 8, 8, { pads: [2, 2, 2, 2], dilations: [2, 2] }), b.scalar(0), b.scalar(6)]);
      const dw = b.op('Relu', [conv(b, bn, 8, 8, { pads: [1, 1, 1, 1], group: 8 }, 3, 8)]);
      const cat = b.op('Concat', [dil, dw], { axis: 1 });
      const avg = b.op('AveragePool', [cat], { kernel_shape: [2, 2], strides: [2, 2] });
      const gap = b.op('Flatten', [b.op('GlobalAveragePool', [avg])], { axis: 1 });
      b.op('Gemm', [gap, b.constFloat(rand(16 * 4, 1), [16, 4], 'fc'), b.constFloat(rand(4), [4], 'fcb')], {}, { outputs: ['logits'] });
    },
  });
}

/** Rows of `x` (one sample) each zeroed inside its box. */
function editedRows(x: Tensor, boxes: readonly Box[]): { rows: Tensor; edits: LocalEdit[] } {
  const [, c, h, w] = x.shape as [number, number, number, number];
  const per = c * h * w;
  const data = new Float32Array(boxes.length * per);
  boxes.forEach((box, r) => {
    data.set(x.data, r * per);
    for (let k = 0; k < c; k++) for (let y = box[0][0]; y < box[0][1]; y++) for (let i = box[1][0]; i < box[1][1]; i++) data[r * per + (k * h + y) * w + i] = 0;
  });
  return { rows: { data, shape: [boxes.length, c, h, w] }, edits: boxes.map((box) => ({ sample: 0, box })) };
}

function randomInput(shape: number[], seed: number): Tensor {
  const next = seededRandom(seed);
  return { data: Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => 2 * next() - 1), shape };
}

describe('incremental inference: range arithmetic', () => {
  it('maps a changed input range to the outputs that read it, and back to the crop they need', () => {
    const k3 = { kernel: 3, stride: 1, pad: 1, dilation: 1 };
    assert.deepEqual(windowOutputRange([10, 18], k3, 32), [9, 19]);
    assert.deepEqual(windowOutputRange([0, 4], k3, 32), [0, 5], 'clamped at the top');
    assert.deepEqual(windowOutputRange([30, 32], k3, 32), [29, 32], 'clamped at the bottom');
    const s2 = { kernel: 3, stride: 2, pad: 1, dilation: 1 };
    // Output o reads inputs 2o − 1 … 2o + 1: inputs 8…11 reach outputs 4 (7–9) to 6 (11–13).
    assert.deepEqual(windowOutputRange([8, 12], s2, 16), [4, 7]);
    assert.deepEqual(windowInputRange(4, 3, s2), [7, 14]);
    const dilated = { kernel: 3, stride: 1, pad: 2, dilation: 2 };
    assert.deepEqual(windowOutputRange([5, 6], dilated, 20), [3, 8]);
    assert.deepEqual(windowInputRange(3, 5, dilated), [1, 10]);
    assert.deepEqual(windowOutputRange([5, 5], k3, 20), [0, 0], 'an empty change changes nothing');
  });

  it('knows which ops are local', () => {
    const g = graphFromBytes(zooModel());
    const isActivation = (t: string) => !g.isInitializer(t);
    const kinds = g.nodes.map((n) => `${n.opType}:${localOp(n, g, isActivation)?.kind ?? '-'}`);
    assert.ok(kinds.includes('Conv:window') && kinds.includes('MaxPool:window') && kinds.includes('AveragePool:window'));
    assert.ok(kinds.includes('Relu:pointwise') && kinds.includes('Add:pointwise') && kinds.includes('Concat:pointwise'));
    assert.ok(kinds.includes('BatchNormalization:pointwise') && kinds.includes('Clip:pointwise'));
    assert.ok(kinds.includes('GlobalAveragePool:-') && kinds.includes('Gemm:-'));
    const region = graphFromBytes(regionModel(1, 8, 8, { y0: 0, y1: 4, x0: 0, x1: 4 }));
    const mul = region.nodes.find((n) => n.opType === 'Mul');
    assert.equal(mul && localOp(mul, region, (t) => !region.isInitializer(t)), undefined, 'a constant that varies over H and W is not local');
  });
});

describe('incremental inference: equal to full forward passes', () => {
  it('on a model with every local op kind, for boxes everywhere including the borders', async () => {
    await using model = await Model.load(zooModel(), { runtime: nodeRuntime, optimization: 'disabled' });
    const boxes: Box[] = [];
    for (let y = 0; y < H; y += 3)
      for (let x = 0; x < W; x += 5)
        boxes.push([
          [y, Math.min(H, y + 4)],
          [x, Math.min(W, x + 6)],
        ]);
    const prepared = await model.prepare([6, 3, H, W]);
    const plan = planIncremental(prepared, ['logits'], boxes, { maxCoverage: 1 });
    assert.ok(plan, 'a plan');
    const ops = plan.steps.flatMap((s) => [s.node, ...s.followers].map((n) => n.opType));
    for (const op of ['Conv', 'MaxPool', 'BatchNormalization', 'Concat', 'AveragePool', 'Add', 'Clip']) assert.ok(ops.includes(op), `${op} in the prefix`);
    assert.ok(plan.cost.incremental < plan.cost.full);
    const x = randomInput([1, 3, H, W], 8);
    await using session = await IncrementalSession.open(model, plan, x);
    for (let first = 0; first < boxes.length; first += 6) {
      const chunk = boxes.slice(first, first + 6);
      const { rows, edits } = editedRows(x, chunk);
      const got = (await session.run(rows, edits)).logits as Tensor;
      const full = (await model.run(rows)).logits as Tensor;
      assertClose({ data: got.data.subarray(0, full.data.length), shape: full.shape }, full, 1e-5, `boxes ${first}…`);
    }
  });

  it('refuses an edit larger than the plan was sized for, and too many rows, instead of a wrong answer', async () => {
    await using model = await Model.load(zooModel(), { runtime: nodeRuntime });
    const plan = planIncremental(
      await model.prepare([2, 3, H, W]),
      ['logits'],
      [
        [
          [0, 4],
          [0, 4],
        ],
      ],
      { maxCoverage: 1 },
    );
    assert.ok(plan);
    const x = randomInput([1, 3, H, W], 9);
    await using session = await IncrementalSession.open(model, plan, x);
    const big = editedRows(x, [
      [
        [2, 12],
        [3, 15],
      ],
    ]);
    await assert.rejects(session.run(big.rows, big.edits), (e: unknown) => isLucernaError(e, 'BAD_PLAN'));
    const three = editedRows(x, [
      [
        [0, 4],
        [0, 4],
      ],
      [
        [0, 4],
        [0, 4],
      ],
      [
        [0, 4],
        [0, 4],
      ],
    ]);
    await assert.rejects(session.run(three.rows, three.edits), (e: unknown) => isLucernaError(e, 'BAD_SHAPE'));
  });

  for (const m of ['tiny_cnn', 'small_resnet', 'small_mobilenet']) {
    it(`${m}: occlusion with incremental inference equals occlusion with full passes`, async () => {
      const c = oracle().cases.find((k) => k.id === `${m}/blobs`) as OracleCase;
      await using model = await Model.load(oracleModelBytes(c), { runtime: nodeRuntime });
      const options = { window: [3, 8, 8], strides: [3, 4, 4], target: c.target, batchSize: 16 };
      const fast = await occlusion.attribute(model, caseInput(c), { ...options, incremental: true });
      const full = await occlusion.attribute(model, caseInput(c), { ...options, incremental: false });
      assertClose(fast.attribution, full.attribution, 1e-4, m);
      const summary = fast.details?.incremental as { macsRatio: number; estimatedRatio: number };
      assert.ok(summary.estimatedRatio > summary.macsRatio, 'the estimate adds the overheads to the arithmetic');
      assert.ok(summary.macsRatio < 0.5, `multiply-adds per row: ${summary.macsRatio}`);
      assert.equal(full.details?.incremental, false);
    });

    it(`${m}: feature ablation over 8×8 patches with incremental inference equals full passes`, async () => {
      const c = oracle().cases.find((k) => k.id === `${m}/noise`) as OracleCase;
      await using model = await Model.load(oracleModelBytes(c), { runtime: nodeRuntime });
      const [, , h, w] = c.input_shape as [number, number, number, number];
      const options = { featureMask: gridFeatureMask(h, w, 8), target: c.target, batchSize: 8 };
      const fast = await featureAblation.attribute(model, caseInput(c), { ...options, incremental: true });
      const full = await featureAblation.attribute(model, caseInput(c), { ...options, incremental: false });
      assertClose(fast.attribution, full.attribution, 1e-4, m);
      const summary = fast.details?.incremental as { macsRatio: number } | undefined;
      assert.ok(summary && summary.macsRatio < 1, 'the incremental path was used');
    });
  }

  it('two samples at once, and windows over single channels, still equal full passes', async () => {
    const [a, b] = ['small_resnet/blobs', 'small_resnet/noise'].map((id) => oracle().cases.find((k) => k.id === id) as OracleCase) as [OracleCase, OracleCase];
    await using model = await Model.load(oracleModelBytes(a), { runtime: nodeRuntime });
    const x = concatBatch([caseInput(a), caseInput(b)]);
    const options = { window: [1, 12, 12], strides: [1, 8, 8], target: [a.target, b.target], batchSize: 16 };
    const fast = await occlusion.attribute(model, x, { ...options, incremental: true });
    const full = await occlusion.attribute(model, x, { ...options, incremental: false });
    assert.ok(fast.details?.incremental, 'the incremental path was used');
    assertClose(fast.attribution, full.attribution, 1e-4, 'two samples, per-channel windows');
  });

  it('featureBox bounds every element of a feature, in any channel', () => {
    const mask = { data: Int32Array.from({ length: 2 * 6 * 5 }, (_, k) => (k === 7 || k === 30 + 23 ? 1 : 0)), shape: [1, 2, 6, 5] };
    const [groups] = featureGroups(mask, [1, 2, 6, 5]);
    // Feature 1: channel 0 at (1, 2) and channel 1 at (4, 3).
    assert.deepEqual(featureBox(groups as FeatureGroups, 1, [2, 6, 5]), [
      [1, 5],
      [2, 4],
    ]);
  });
});

describe('incremental inference: when it is not used', () => {
  it('auto skips runs too small to repay it; a model with no local convolution has no plan', async () => {
    const c = oracle().cases.find((k) => k.id === 'tiny_cnn/blobs') as OracleCase;
    await using model = await Model.load(oracleModelBytes(c), { runtime: nodeRuntime });
    const auto = await occlusion.attribute(model, caseInput(c), { window: [3, 8, 8], strides: [3, 4, 4], target: 0 });
    assert.equal(auto.details?.incremental, false);
    await using region = await Model.load(regionModel(1, 16, 16, { y0: 2, y1: 8, x0: 2, x1: 8 }), { runtime: nodeRuntime });
    const r = await occlusion.attribute(region, randomInput([1, 1, 16, 16], 2), { window: [1, 4, 4], strides: [1, 2, 2], incremental: true });
    assert.equal(r.details?.incremental, false);
  });

  it('rejects a bad incremental option', async () => {
    const c = oracle().cases.find((k) => k.id === 'tiny_cnn/blobs') as OracleCase;
    await using model = await Model.load(oracleModelBytes(c), { runtime: nodeRuntime });
    await assert.rejects(occlusion.attribute(model, caseInput(c), { incremental: 'yes' as never }), (e: unknown) => isLucernaError(e, 'BAD_OPTION'));
  });
});
