import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { isLucernaError } from '../../src/errors.js';
import { buildModel, graphFromBytes } from '../../src/onnx/builder.js';
import { composeGraphs } from '../../src/onnx/compose.js';
import type { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { sizeOf, type Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { rng, uniform } from '../helpers/gradcheck.js';
import { oracle, oracleModelBytes } from '../helpers/oracle.js';

const tiny = oracle().models.tiny_cnn as { onnx: string };
const Z_SHAPE = [1, 1, 8, 8];
const IMAGE = [1, 3, 32, 32];

/**
 * A prefix from a parameter z [1, 1, 8, 8] to an image [1, 3, 32, 32]:
 * p + resize_linear(sigmoid(z)) ⊙ d, with d and p constants. It names one of its tensors like a
 * tensor of tiny_cnn, to exercise the renaming.
 */
function prefixGraph(): Graph {
  const random = rng(7);
  const bytes = buildModel({
    opset: 18,
    inputs: [{ name: 'z', dims: Z_SHAPE }],
    outputs: ['image'],
    build: (b) => {
      const s = b.op('Sigmoid', ['z'], {}, { outputs: ['/relu2/Relu_output_0'] });
      const up = b.op('Resize', [s, '', '', b.constInt64([1, 1, 32, 32])], { mode: 'linear' });
      const scaled = b.op('Mul', [up, b.constFloat(uniform(sizeOf(IMAGE), random, -3, 3), IMAGE)]);
      b.op('Add', [scaled, b.constFloat(uniform(sizeOf(IMAGE), random), IMAGE)], {}, { outputs: ['image'] });
    },
  });
  return graphFromBytes(bytes);
}

/** A smooth CNN (no kinks, so finite differences are exact to float32 noise): Conv, Tanh, GAP, Gemm. */
function smoothCnn(): Uint8Array {
  const random = rng(5);
  return buildModel({
    opset: 13,
    inputs: [{ name: 'input', dims: IMAGE }],
    outputs: ['logits'],
    build: (b) => {
      const conv = b.op('Conv', ['input', b.weight('w1', uniform(4 * 3 * 9, random, -0.5, 0.5), [4, 3, 3, 3])], { pads: [1, 1, 1, 1] });
      const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [b.op('Tanh', [conv])])]);
      b.op(
        'Gemm',
        [pooled, b.weight('w2', uniform(40, random, -10, 10), [10, 4]), b.weight('b2', uniform(10, random), [10])],
        { transB: 1 },
        { outputs: ['logits'] },
      );
    },
  });
}

async function runPrefix(prefix: Graph, z: Tensor): Promise<Tensor> {
  const session = await nodeRuntime.createSession(encodeModel(prefix.toModel()));
  try {
    const out = (await session.run({ z })).image;
    return { data: out?.data as Float32Array, shape: [...(out?.dims ?? [])] };
  } finally {
    await session.dispose();
  }
}

describe('composeGraphs', () => {
  let model: Model;
  let composed: Model;
  const z: Tensor = { data: uniform(sizeOf(Z_SHAPE), rng(3), -2, 2), shape: Z_SHAPE };
  before(async () => {
    model = await Model.load(oracleModelBytes(tiny), { runtime: nodeRuntime });
    composed = Model.fromGraph(composeGraphs(prefixGraph(), model.graph), { runtime: nodeRuntime, name: 'composed' });
  });
  after(async () => {
    await composed.dispose();
    await model.dispose();
  });

  it('the composed graph equals running the prefix, then the model', async () => {
    const image = await runPrefix(prefixGraph(), z);
    const expected = (await model.run(image)).logits as Tensor;
    const got = (await composed.run(z)).logits as Tensor;
    assertClose(got, expected, 1e-5, 'composed logits');
    assert.equal(composed.input.name, 'z');
    assert.deepEqual(composed.outputNames, model.outputNames);
  });

  it('upgrades the opset-13 model to the prefix opset, renames clashing prefix names and keeps the model input as a tensor', () => {
    const g = composeGraphs(prefixGraph(), model.graph);
    assert.equal(g.opset, 18);
    assert.equal(g.producer('/relu2/Relu_output_0')?.opType, 'Relu', 'the model keeps its tensor names');
    assert.equal(g.producer('prefix//relu2/Relu_output_0')?.opType, 'Sigmoid', 'the clashing prefix tensor is renamed');
    assert.equal(g.producer(model.input.name)?.opType, 'Identity');
    assert.deepEqual(
      g.inputs.map((i) => i.name),
      ['z'],
    );
    assert.equal(model.graph.inputs[0]?.name, model.input.name, 'the model graph is untouched');
  });

  it('the compiled gradient through the prefix matches central finite differences', async () => {
    const seed: Tensor = { data: uniform(10, rng(11)), shape: [1, 10] };
    await using smoothModel = await Model.load(smoothCnn(), { runtime: nodeRuntime });
    await using smooth = Model.fromGraph(composeGraphs(prefixGraph(), smoothModel.graph), { runtime: nodeRuntime });
    const compiled = await smooth.compile({ seeds: ['logits'], wrt: ['z'] }, Z_SHAPE);
    const analytic = (await compiled.run({ input: z, seeds: { logits: seed } })).gradients.z as Tensor;
    const loss = async (values: Float32Array): Promise<number> => {
      const y = ((await smooth.run({ data: values, shape: Z_SHAPE })).logits as Tensor).data;
      return y.reduce((s, v, k) => s + v * (seed.data[k] as number), 0);
    };
    const eps = 1e-2;
    const fd = new Float64Array(z.data.length);
    for (let i = 0; i < z.data.length; i++) {
      const up = Float32Array.from(z.data);
      const down = Float32Array.from(z.data);
      up[i] = (up[i] as number) + eps;
      down[i] = (down[i] as number) - eps;
      fd[i] = ((await loss(up)) - (await loss(down))) / (2 * eps);
    }
    const tol = 1e-4 + 1e-2 * fd.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    for (let i = 0; i < fd.length; i++) {
      const diff = Math.abs((analytic.data[i] as number) - (fd[i] as number));
      assert.ok(diff <= tol, `dL/dz[${i}]: analytic ${analytic.data[i]} vs finite difference ${fd[i]}`);
    }
    assert.ok(
      fd.some((v) => Math.abs(v) > 10 * tol),
      'the check is not vacuous',
    );
  });

  it('refuses a prefix input that is also a model name, an unknown link and mismatched shapes', () => {
    const clash = prefixGraph();
    clash.inputs = [{ ...(clash.inputs[0] as Graph['inputs'][number]), name: model.input.name }];
    assert.throws(
      () => composeGraphs(clash, model.graph),
      (e: unknown) => isLucernaError(e, 'BAD_OPTION') && /also a name in the model/.test(e.message),
    );
    assert.throws(
      () => composeGraphs(prefixGraph(), model.graph, { from: 'nope' }),
      (e: unknown) => isLucernaError(e, 'BAD_OPTION'),
    );
    const wide = prefixGraph();
    wide.outputs = [{ name: 'image', elemType: 1, dims: [1, 3, 16, 16] }];
    assert.throws(
      () => composeGraphs(wide, model.graph),
      (e: unknown) => isLucernaError(e, 'BAD_SHAPE'),
    );
  });
});
