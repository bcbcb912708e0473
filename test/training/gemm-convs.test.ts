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
import { readFloats } from '../../src/onnx/tensors.js';
import { lowerWideConvs } from '../../src/training/gemm-convs.js';
import { oneHotRows, softmaxCrossEntropy } from '../../src/training/loss.js';
import { sgd } from '../../src/training/optimizers/index.js';
import { DEFAULT_HYPER } from '../../src/training/optimizers/types.js';
import { buildStepGraph } from '../../src/training/step-graph.js';
import { maxRelative } from '../helpers/compare.js';
import { rng, uniform } from '../helpers/gradcheck.js';

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
  { name: '6 output positions stay a Conv', x: [1, 32, 2, 3], w: [32, 32, 3, 3], attrs: { pads: [1, 1, 1, 1] }, bias: false, lowered: false },
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

  it("a compiled step with the wide conv as a Gemm (its weight gradient on the forward's im2col, its input gradient by col2im products) equals the step without", async () => {
    const random = rng(9);
    const source = graphFromBytes(
      buildModel({
        opset: 17,
        inputs: [{ name: 'x', dims: ['batch', 32, 2, 2] }],
        outputs: ['logits'],
        build: (b) => {
          const h = b.op('Relu', [
            b.op('Conv', ['x', b.weight('conv.weight', uniform(32 * 32 * 9, random, -0.1, 0.1), [32, 32, 3, 3])], { pads: [1, 1, 1, 1] }, { name: 'conv' }),
          ]);
          const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [h])]);
          b.op(
            'Gemm',
            [pooled, b.weight('fc.weight', uniform(5 * 32, random), [5, 32]), b.weight('fc.bias', uniform(5, random), [5])],
            { transB: 1 },
            { outputs: ['logits'] },
          );
        },
      }),
    );
    const prepared = await prepareGraph(nodeRuntime, source, [4, 32, 2, 2]);
    const options = {
      trainable: ['conv.weight', 'fc.weight', 'fc.bias'],
      optimizer: sgd,
      hyper: { ...DEFAULT_HYPER, momentum: 0.9 },
      bn: 'train' as const,
      loss: [softmaxCrossEntropy()],
    };
    const lowered = await buildStepGraph(nodeRuntime, prepared, options);
    const plain = await buildStepGraph(nodeRuntime, prepared, { ...options, gemmConvs: false });
    assert.ok(!lowered.graph.nodes.some((n) => n.name === 'conv'), 'the forward Conv is replaced');
    assert.ok(plain.graph.nodes.some((n) => n.name === 'conv'));
    // one im2col (the forward's product with the position matrix): the weight gradient's own (slices and a Concat) was pruned
    assert.equal(lowered.graph.nodes.filter((n) => n.opType === 'MatMul' && n.input?.some((i) => i.includes('im2col'))).length, 1);
    assert.equal(lowered.graph.nodes.filter((n) => n.opType === 'Concat' || n.opType === 'Slice').length, 0);
    const x = { data: uniform(4 * 32 * 4, rng(2)), shape: [4, 32, 2, 2] };
    const run = async (step: typeof lowered) => {
      const feeds: Record<string, { data: Float32Array; shape: readonly number[] }> = {
        [step.input]: x,
        [step.oneHot]: { data: oneHotRows([0, 1, 2, 3], 5), shape: [4, 5] },
        [step.scalars.lr as string]: { data: new Float32Array([0.5]), shape: [] },
      };
      for (const c of step.carried) {
        const init = source.initializers.get(c.input);
        feeds[c.input] = { data: init ? readFloats(init) : new Float32Array(size(c.dims)), shape: c.dims };
      }
      const session = await nodeRuntime.createSession(encodeModel(step.graph.toModel()));
      try {
        return await session.run(feeds);
      } finally {
        await session.dispose();
      }
    };
    const [a, b] = [await run(lowered), await run(plain)];
    for (const t of [lowered.logits, ...lowered.carried.map((c) => c.output)]) {
      const [u, v] = [a[t]?.data as Float32Array, b[t]?.data as Float32Array];
      assert.ok(maxRelative(v, u) < 1e-5, `${t}: max relative difference ${maxRelative(v, u)}`);
    }
    // and the step moved the conv weight (the comparison above is not between two no-ops)
    const w0 = readFloats(source.initializers.get('conv.weight') as never);
    const w1 = a['next:conv.weight']?.data as Float32Array;
    assert.ok(maxRelative(w0, w1) > 1e-3);
  });
});
