/**
 * The training step's wide, few-position convolutions run as one Gemm (src/training/gemm-convs.ts):
 * the Gemm form computes what ORT's Conv computes (strides, dilations, asymmetric pads, bias, 1-D),
 * narrow convs are left alone, and a compiled step's logits equal the plain forward pass's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeRuntime } from '../../src/engine/node.js';
import { prepareGraph } from '../../src/engine/prepare.js';
import { buildModel, graphFromBytes } from '../../src/onnx/builder.js';
import type { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { lowerWideConvs } from '../../src/training/gemm-convs.js';
import { buildStepGraph } from '../../src/training/step-graph.js';
import { maxRelative } from '../helpers/compare.js';
import { rng, uniform } from '../helpers/gradcheck.js';
import { assertSameStep, seededNet, sgdStepOptions } from '../helpers/step-compare.js';

type Attrs = Record<string, number | number[]>;
const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

function convModel(x: readonly number[], w: readonly number[], attrs: Attrs, bias: boolean): Graph {
  const random = rng(size(w));
  return graphFromBytes(
    buildModel({
      opset: 17,
      inputs: [{ name: 'x', dims: [...x] }],
      outputs: ['y'],
      build: (b) => {
        const inputs = ['x', b.weight('w', uniform(size(w), random), w)];
        if (bias) inputs.push(b.weight('bias', uniform(w[0] as number, random), [w[0] as number]));
        b.op('Conv', inputs, attrs, { outputs: ['y'], name: 'conv' });
      },
    }),
  );
}

async function run(graph: Graph, feeds: Record<string, { data: Float32Array; shape: readonly number[] }>, output: string): Promise<Float32Array> {
  const session = await nodeRuntime.createSession(encodeModel(graph.toModel()));
  try {
    return (await session.run(feeds, [output]))[output]?.data as Float32Array;
  } finally {
    await session.dispose();
  }
}

const cases: { name: string; x: number[]; w: number[]; attrs: Attrs; bias: boolean; lowered: boolean }[] = [
  { name: '3×3 pad 1 at 2×2, bias', x: [2, 32, 2, 2], w: [40, 32, 3, 3], attrs: { pads: [1, 1, 1, 1] }, bias: true, lowered: true },
  {
    name: '3×3 stride 2, dilations 1×2, asymmetric pads',
    x: [3, 32, 5, 4],
    w: [32, 32, 3, 3],
    attrs: { strides: [2, 2], dilations: [1, 2], pads: [1, 0, 0, 1] },
    bias: false,
    lowered: true,
  },
  { name: '1-D k3 stride 2', x: [2, 32, 5], w: [32, 32, 3], attrs: { strides: [2], pads: [1, 0] }, bias: true, lowered: true },
  { name: 'narrow (16 channels) stays a Conv', x: [2, 16, 2, 2], w: [16, 16, 3, 3], attrs: { pads: [1, 1, 1, 1] }, bias: false, lowered: false },
  {
    name: '16 output positions (ResNet-18 layer3 at 64 px) become a Gemm',
    x: [2, 32, 4, 4],
    w: [48, 32, 3, 3],
    attrs: { pads: [1, 1, 1, 1] },
    bias: false,
    lowered: true,
  },
  { name: '20 output positions stay a Conv', x: [1, 32, 4, 5], w: [32, 32, 3, 3], attrs: { pads: [1, 1, 1, 1] }, bias: false, lowered: false },
];

describe('wide convolutions as one Gemm in the training step', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const source = convModel(c.x, c.w, c.attrs, c.bias);
      const prepared = await prepareGraph(nodeRuntime, source, c.x);
      const lowered = prepared.graph.clone();
      const count = lowerWideConvs(lowered, (t) => prepared.shapes.get(t) ?? prepared.graph.initializerDims(t), new Set(['conv']));
      assert.equal(count, c.lowered ? 1 : 0);
      assert.equal(
        lowered.nodes.some((n) => n.opType === 'Conv'),
        !c.lowered,
      );
      const feeds = { x: { data: uniform(size(c.x), rng(1)), shape: c.x } };
      const expected = await run(prepared.graph, feeds, 'y');
      const actual = await run(lowered, feeds, 'y');
      assert.equal(actual.length, expected.length);
      assert.ok(maxRelative(expected, actual) < 1e-5, `max relative difference ${maxRelative(expected, actual)}`);
    });
  }

  for (const side of [2, 4]) {
    it(`${side}×${side} positions: a compiled step with the wide conv as a Gemm (its weight gradient on the forward's im2col, its input gradient by col2im products) equals the step without`, async () => {
      await compareLoweredStep(side);
    });
  }
});

/**
 * One step of x → 1×1 conv `pre` → ReLU → 3×3 conv `conv` (32 → 32, side×side positions) → fc, with
 * `conv` lowered (forward and input gradient as Gemms; its input gradient feeds `pre`'s weight
 * gradient) against the same step without the lowering.
 */
async function compareLoweredStep(side: number): Promise<void> {
  const source = seededNet([32, side, side], 9, 0.1, (b, w) => {
    const pre = b.op('Relu', [b.op('Conv', ['x', w(b, 'pre.weight', [32, 32, 1, 1])], {}, { name: 'pre' })]);
    const h = b.op('Relu', [b.op('Conv', [pre, w(b, 'conv.weight', [32, 32, 3, 3])], { pads: [1, 1, 1, 1] }, { name: 'conv' })]);
    const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [h])]);
    b.op('Gemm', [pooled, w(b, 'fc.weight', [5, 32]), w(b, 'fc.bias', [5])], { transB: 1 }, { outputs: ['logits'] });
  });
  const shape = [4, 32, side, side];
  const prepared = await prepareGraph(nodeRuntime, source, shape);
  const options = sgdStepOptions(['pre.weight', 'conv.weight', 'fc.weight', 'fc.bias']);
  const lowered = await buildStepGraph(nodeRuntime, prepared, options);
  const plain = await buildStepGraph(nodeRuntime, prepared, { ...options, gemmConvs: false });
  assert.ok(!lowered.graph.nodes.some((n) => n.name === 'conv'), 'the forward Conv is replaced');
  assert.ok(plain.graph.nodes.some((n) => n.name === 'conv'));
  // the only Conv left is `pre`'s forward: `conv`'s input gradient is Gemm + col2im, not a (transposed) convolution
  assert.deepEqual(
    lowered.graph.nodes.filter((n) => n.opType === 'Conv' || n.opType === 'ConvTranspose').map((n) => n.name),
    ['pre'],
  );
  // one im2col (the forward's product with the position matrix): the weight gradient's own (slices and a Concat) was pruned
  assert.equal(lowered.graph.nodes.filter((n) => n.opType === 'MatMul' && n.input?.some((i) => i.includes('im2col'))).length, 1);
  assert.equal(lowered.graph.nodes.filter((n) => n.opType === 'Concat').length, 0);
  // the step also moves both weights (the comparison is not between two no-ops)
  await assertSameStep(lowered, plain, source, shape, 1e-5, ['pre.weight', 'conv.weight']);
}
