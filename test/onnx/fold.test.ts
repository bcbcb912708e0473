/**
 * Shape folding and rebatching, through `prepareGraph`: the exporter's Shape → Gather → Unsqueeze →
 * Concat → Reshape flatten becomes one constant, a batch baked into a Reshape follows the new batch,
 * and real static-batch models run on batches with the same per-sample results.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { prepareGraph } from '../../src/engine/prepare.js';
import { buildModel, type GraphBuilder, graphFromBytes } from '../../src/onnx/builder.js';
import type { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { readInts } from '../../src/onnx/tensors.js';
import { sizeOf, type Tensor } from '../../src/tensor/tensor.js';
import { rng, uniform } from '../helpers/gradcheck.js';

const C = 4;
const HW = 6;

/** Conv → Relu, the activation every model below flattens. */
function convRelu(b: GraphBuilder): string {
  const w = b.weight('conv.weight', uniform(C * 3 * 9, rng(1)), [C, 3, 3, 3]);
  return b.op('Relu', [b.op('Conv', ['x', w], { pads: [1, 1, 1, 1] }, { name: '/conv/Conv' })], {}, { name: '/relu/Relu', outputs: ['relu'] });
}

function classifier(b: GraphBuilder, flat: string): void {
  const w = b.weight('fc.weight', uniform(5 * C * HW * HW, rng(2), -0.1, 0.1), [5, C * HW * HW]);
  b.op('Gemm', [flat, w], { transB: 1 }, { outputs: ['logits'] });
}

/** The flatten that torch exports for `x.view(x.size(0), -1)` with a dynamic batch. */
function exporterFlatten(b: GraphBuilder): void {
  const r = convRelu(b);
  const shape = b.op('Shape', [r], {}, { name: '/Shape' });
  const batch = b.op('Gather', [shape, b.constInt64([0], [], 'gather_index')], { axis: 0 }, { name: '/Gather' });
  const batch1d = b.op('Unsqueeze', [batch, b.constInt64([0], [1], 'unsqueeze_axes')], {}, { name: '/Unsqueeze' });
  const target = b.op('Concat', [batch1d, b.constInt64([-1], [1], 'minus_one')], { axis: 0 }, { name: '/Concat' });
  classifier(b, b.op('Reshape', [r, target], {}, { name: '/Reshape', outputs: ['flat'] }));
}

/** The same flatten exported with a static batch of 1: the shape is the constant [1, -1]. */
function bakedFlatten(b: GraphBuilder): void {
  const r = convRelu(b);
  // A per-channel scale reshaped to [1, C, 1, 1]: its leading 1 is not a batch and must stay.
  const scale = b.op(
    'Reshape',
    [b.weight('scale', uniform(C, rng(3), 0.5, 1.5), [C]), b.constInt64([1, C, 1, 1], [4], 'scale_shape')],
    {},
    { outputs: ['scale_4d'] },
  );
  const scaled = b.op('Mul', [r, scale]);
  classifier(b, b.op('Reshape', [scaled, b.constInt64([1, -1], [2], 'flat_shape')], {}, { name: '/Reshape', outputs: ['flat'] }));
}

function input(batch: number, seed: number): Tensor {
  const shape = [batch, 3, HW, HW];
  return { data: uniform(sizeOf(shape), rng(seed)), shape };
}

async function runBytes(bytes: Uint8Array, x: Tensor): Promise<Tensor> {
  const session = await nodeRuntime.createSession(bytes, { optimization: 'disabled' });
  try {
    const out = (await session.run({ x }, ['logits'])).logits;
    assert.ok(out);
    return { data: out.data as Float32Array, shape: out.dims };
  } finally {
    await session.dispose();
  }
}

async function runGraph(graph: Graph, x: Tensor): Promise<Tensor> {
  return runBytes(encodeModel(graph.toModel()), x);
}

/** The rows of a [N, K] tensor, one per sample. */
function rows(t: Tensor): Float32Array[] {
  const k = t.shape[1] as number;
  return Array.from({ length: t.shape[0] as number }, (_, i) => t.data.slice(i * k, (i + 1) * k));
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i] as number));
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs((actual[i] as number) - (expected[i] as number));
    assert.ok(diff <= rtol * scale, `${what}[${i}]: ${actual[i]} vs ${expected[i]} (max |value| ${scale})`);
  }
}

const SHAPE_OPS = ['Shape', 'Gather', 'Unsqueeze', 'Concat'];

describe('shape folding', () => {
  const bytes = buildModel({ opset: 13, inputs: [{ name: 'x', dims: ['N', 3, HW, HW] }], outputs: ['logits'], build: exporterFlatten });

  for (const batch of [1, 4]) {
    it(`folds Shape → Gather → Unsqueeze → Concat into the Reshape constant at batch ${batch}`, async () => {
      const prepared = await prepareGraph(nodeRuntime, graphFromBytes(bytes), [batch, 3, HW, HW]);
      const ops = prepared.graph.nodes.map((n) => n.opType);
      for (const op of SHAPE_OPS) assert.ok(!ops.includes(op), `${op} was not folded: ${ops.join(', ')}`);
      const reshape = prepared.graph.nodes.find((n) => n.opType === 'Reshape');
      const shapeName = reshape?.input?.[1] ?? '';
      assert.ok(prepared.graph.isInitializer(shapeName), 'the Reshape shape is an initializer');
      assert.deepEqual(readInts(prepared.graph.initializer(shapeName)), [batch, -1]);
      assert.deepEqual(prepared.shapes.get('flat'), [batch, C * HW * HW]);
      assert.ok(!prepared.graph.isInitializer('gather_index'), 'constants only the folded nodes read are pruned');

      const x = input(batch, 10 + batch);
      const expected = await runBytes(bytes, x);
      const actual = await runGraph(prepared.graph, x);
      assert.deepEqual(actual.shape, [batch, 5]);
      assert.deepEqual(Array.from(actual.data), Array.from(expected.data));
    });
  }

  it('folds the Shape of an upgraded opset-11 Softmax and keeps its values', async () => {
    const softmax = buildModel({
      opset: 11,
      inputs: [{ name: 'x', dims: ['N', 3, HW, HW] }],
      outputs: ['logits'],
      build: (b) => b.op('Softmax', [convRelu(b)], { axis: 1 }, { outputs: ['logits'] }),
    });
    const prepared = await prepareGraph(nodeRuntime, graphFromBytes(softmax), [2, 3, HW, HW]);
    assert.ok(!prepared.graph.nodes.some((n) => n.opType === 'Shape'));
    const x = input(2, 5);
    const expected = await runBytes(softmax, x);
    const actual = await runGraph(prepared.graph, x);
    assert.deepEqual(actual.shape, [2, C, HW, HW]);
    assert.deepEqual(Array.from(actual.data), Array.from(expected.data));
  });
});

describe('rebatching a static batch of 1', () => {
  const bytes = buildModel({ opset: 13, inputs: [{ name: 'x', dims: [1, 3, HW, HW] }], outputs: ['logits'], build: bakedFlatten });

  it('runs a baked Reshape [1, -1] at batch 3, each sample equal to its single run', async () => {
    const prepared = await prepareGraph(nodeRuntime, graphFromBytes(bytes), [3, 3, HW, HW]);
    const flat = prepared.graph.nodes.find((n) => n.output?.[0] === 'flat');
    assert.deepEqual(readInts(prepared.graph.initializer(flat?.input?.[1] ?? '')), [3, -1]);
    const x = input(3, 21);
    const batched = await runGraph(prepared.graph, x);
    assert.deepEqual(batched.shape, [3, 5]);
    const perSample = rows(batched);
    for (let i = 0; i < 3; i++) {
      const single = await runBytes(bytes, { data: x.data.slice(i * 3 * HW * HW, (i + 1) * 3 * HW * HW), shape: [1, 3, HW, HW] });
      assertClose(perSample[i] as Float32Array, single.data, `sample ${i}`);
    }
  });

  it('leaves Reshapes of weights and of shape values alone', async () => {
    const shapeOfShape = buildModel({
      opset: 13,
      inputs: [{ name: 'x', dims: [1, 3, HW, HW] }],
      outputs: ['logits'],
      build: (b) => {
        // channels = Reshape(Gather(Shape(relu), 1), [1]); logits = Reshape(relu, [channels, -1]) summed per channel.
        const r = convRelu(b);
        const channels = b.op('Reshape', [b.op('Gather', [b.op('Shape', [r]), b.constInt64([1], [])]), b.constInt64([1], [1], 'one')]);
        const perChannel = b.op('Reshape', [b.op('Transpose', [r], { perm: [1, 0, 2, 3] }), b.op('Concat', [channels, b.constInt64([-1], [1])], { axis: 0 })]);
        b.op('ReduceSum', [perChannel, b.constInt64([1], [1])], { keepdims: 0 }, { outputs: ['logits'] });
      },
    });
    const batch = 3;
    const prepared = await prepareGraph(nodeRuntime, graphFromBytes(shapeOfShape), [batch, 3, HW, HW]);
    const x = input(batch, 31);
    const batched = await runGraph(prepared.graph, x);
    assert.deepEqual(batched.shape, [C]);
    const sum = new Float32Array(C);
    for (let i = 0; i < batch; i++) {
      const single = await runBytes(shapeOfShape, { data: x.data.slice(i * 3 * HW * HW, (i + 1) * 3 * HW * HW), shape: [1, 3, HW, HW] });
      for (let c = 0; c < C; c++) sum[c] = (sum[c] as number) + (single.data[c] as number);
    }
    assertClose(batched.data, sum, 'per-channel sums over the batch', 1e-4);

    // The weight Reshape is static: it folds to a [1, C, 1, 1] constant, not a [3, C, 1, 1] one.
    const baked = (await prepareGraph(nodeRuntime, graphFromBytes(bytes), [batch, 3, HW, HW])).graph;
    assert.deepEqual(baked.initializerDims('scale_4d'), [1, C, 1, 1]);
  });
});

describe('static-batch exports run batched through Model.run', () => {
  for (const file of ['mobilenet_v2', 'resnet18']) {
    it(`${file}: a batch of 2 equals two single runs`, async () => {
      const bytes = new Uint8Array(readFileSync(`/work/shared/models/${file}.onnx`));
      await using model = await Model.load(bytes, { runtime: nodeRuntime, name: file });
      assert.deepEqual(model.input.dims, [1, 3, 224, 224]);
      const shape = [2, 3, 224, 224];
      const x: Tensor = { data: uniform(sizeOf(shape), rng(41)), shape };
      const { logits } = await model.run(x);
      assert.ok(logits);
      assert.deepEqual(logits.shape, [2, 1000]);
      const perSample = rows(logits);
      const sampleSize = sizeOf(shape) / 2;
      for (let i = 0; i < 2; i++) {
        const single = await model.run({ data: x.data.slice(i * sampleSize, (i + 1) * sampleSize), shape: [1, 3, 224, 224] });
        assert.ok(single.logits);
        assertClose(perSample[i] as Float32Array, single.logits.data, `${file} sample ${i}`);
      }
      assert.ok(
        perSample[0]?.some((v, k) => v !== perSample[1]?.[k]),
        'the two samples differ',
      );
    });
  }
});
