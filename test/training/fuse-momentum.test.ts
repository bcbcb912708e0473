/**
 * SGD's momentum update folded into the gradient's Gemm (src/training/fuse-momentum.ts): two
 * compiled steps with the fold equal two steps without it (logits, weights, momentum buffers), for
 * a Gemm-lowered wide conv, a 1×1 conv and a fully connected layer; Nesterov momentum, which reads
 * the gradient twice, is left unfused and still equal. A folded buffer is carried in its Gemm's shape
 * (no Reshape copies it into the graph output), while the Trainer reports each buffer's own shape.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeRuntime } from '../../src/engine/node.js';
import { prepareGraph } from '../../src/engine/prepare.js';
import { buildModel, graphFromBytes } from '../../src/onnx/builder.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { readFloats } from '../../src/onnx/tensors.js';
import { oneHotRows, softmaxCrossEntropy } from '../../src/training/loss.js';
import { sgd } from '../../src/training/optimizers/index.js';
import { DEFAULT_HYPER, type OptimizerHyper } from '../../src/training/optimizers/types.js';
import { buildStepGraph, type StepGraph } from '../../src/training/step-graph.js';
import { Trainer } from '../../src/training/trainer.js';
import { maxRelative } from '../helpers/compare.js';
import { rng, uniform } from '../helpers/gradcheck.js';

type Feeds = Record<string, { data: Float32Array; shape: readonly number[] }>;
const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

const source = (() => {
  const random = rng(5);
  return graphFromBytes(
    buildModel({
      opset: 17,
      inputs: [{ name: 'x', dims: ['batch', 32, 2, 2] }],
      outputs: ['logits'],
      build: (b) => {
        const w = (name: string, dims: number[]) => b.weight(name, uniform(size(dims), random, -0.1, 0.1), dims);
        const wide = b.op('Relu', [b.op('Conv', ['x', w('conv.weight', [32, 32, 3, 3])], { pads: [1, 1, 1, 1] }, { name: 'conv' })]);
        const point = b.op('Relu', [b.op('Conv', [wide, w('point.weight', [32, 32, 1, 1])], {}, { name: 'point' })]);
        const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [point])]);
        b.op('Gemm', [pooled, w('fc.weight', [5, 32]), w('fc.bias', [5])], { transB: 1 }, { outputs: ['logits'] });
      },
    }),
  );
})();
const trainable = ['conv.weight', 'point.weight', 'fc.weight', 'fc.bias'];

/** Two steps of `step`, each step's carried outputs fed to the next; returns the second step's outputs. */
async function twoSteps(step: StepGraph): Promise<Record<string, Float32Array>> {
  const session = await nodeRuntime.createSession(encodeModel(step.graph.toModel()));
  try {
    const carried = new Map(step.carried.map((c) => [c.input, readOrZero(c.input, c.dims)]));
    let out: Record<string, Float32Array> = {};
    for (let s = 0; s < 2; s++) {
      const feeds: Feeds = {
        [step.input]: { data: uniform(4 * 32 * 4, rng(10 + s)), shape: [4, 32, 2, 2] },
        [step.oneHot]: { data: oneHotRows([0, 1, 2, 3], 5), shape: [4, 5] },
        [step.scalars.lr as string]: { data: new Float32Array([0.5]), shape: [] },
      };
      for (const c of step.carried) feeds[c.input] = { data: carried.get(c.input) as Float32Array, shape: c.dims };
      const result = await session.run(feeds);
      out = Object.fromEntries(Object.entries(result).map(([k, v]) => [k, v.data as Float32Array]));
      for (const c of step.carried) carried.set(c.input, out[c.output] as Float32Array);
    }
    return out;
  } finally {
    await session.dispose();
  }
}

function readOrZero(name: string, dims: readonly number[]): Float32Array {
  const init = source.initializers.get(name);
  return init ? readFloats(init) : new Float32Array(size(dims));
}

async function compare(hyper: OptimizerHyper, fusedGemms: number): Promise<void> {
  const prepared = await prepareGraph(nodeRuntime, source, [4, 32, 2, 2]);
  const options = { trainable, optimizer: sgd, hyper, bn: 'train' as const, loss: [softmaxCrossEntropy()] };
  const fused = await buildStepGraph(nodeRuntime, prepared, options);
  const plain = await buildStepGraph(nodeRuntime, prepared, { ...options, fuseMomentum: false });
  const withC = (s: StepGraph) => s.graph.nodes.filter((n) => n.opType === 'Gemm' && (n.input ?? []).length === 3).length;
  // the forward fc Gemm has its bias as C in both graphs
  assert.equal(withC(fused) - withC(plain), fusedGemms);
  const [a, b] = [await twoSteps(fused), await twoSteps(plain)];
  for (const t of [fused.logits, ...fused.carried.map((c) => c.output)]) {
    const [u, v] = [a[t] as Float32Array, b[t] as Float32Array];
    assert.ok(maxRelative(v, u) < 1e-6, `${t}: max relative difference ${maxRelative(v, u)}`);
  }
  // the buffers are not zero after two steps, so the fold's β·C term was exercised
  assert.ok(maxRelative(a['next:momentum_buffer:conv.weight'] as Float32Array, new Float32Array(32 * 32 * 9)) > 0.5);
}

describe('momentum folded into the gradient Gemm', () => {
  it('SGD with momentum: three Gemm gradients fold (wide conv, 1×1 conv, fc weight) and two steps are unchanged', async () => {
    await compare({ ...DEFAULT_HYPER, momentum: 0.9 }, 3);
  });
  it('Nesterov momentum reads the gradient twice: nothing folds, and the step is unchanged', async () => {
    await compare({ ...DEFAULT_HYPER, momentum: 0.9, nesterov: true }, 0);
  });
  it('a folded buffer is carried in its Gemm shape: the Gemm writes the graph output, no Reshape copies it there', async () => {
    const prepared = await prepareGraph(nodeRuntime, source, [4, 32, 2, 2]);
    const step = await buildStepGraph(nodeRuntime, prepared, {
      trainable,
      optimizer: sgd,
      hyper: { ...DEFAULT_HYPER, momentum: 0.9 },
      bn: 'train',
      loss: [softmaxCrossEntropy()],
    });
    const carried = new Map(step.carried.map((c) => [c.input, c]));
    assert.deepEqual(carried.get('momentum_buffer:conv.weight')?.dims, [32, 288]);
    assert.deepEqual(carried.get('momentum_buffer:conv.weight')?.stored, [32, 32, 3, 3]);
    assert.deepEqual(carried.get('momentum_buffer:point.weight')?.dims, [32, 32]);
    assert.deepEqual(carried.get('momentum_buffer:fc.weight')?.dims, [5, 32]);
    assert.equal(carried.get('momentum_buffer:fc.weight')?.stored, undefined);
    for (const name of ['conv.weight', 'point.weight', 'fc.weight']) {
      const output = carried.get(`momentum_buffer:${name}`)?.output as string;
      assert.equal(step.graph.producer(output)?.opType, 'Gemm', `${output} is written by its Gemm`);
      assert.deepEqual(step.graph.inputs.find((i) => i.name === `momentum_buffer:${name}`)?.dims, carried.get(`momentum_buffer:${name}`)?.dims);
      assert.deepEqual(step.graph.outputs.find((o) => o.name === output)?.dims, carried.get(`momentum_buffer:${name}`)?.dims);
    }
    await using trainer = await Trainer.create(source, [32, 2, 2], { runtime: nodeRuntime, optimizer: sgd, hyper: { momentum: 0.9 } });
    await trainer.step({ data: uniform(4 * 32 * 4, rng(3)), shape: [4, 32, 2, 2] }, [0, 1, 2, 3], 0.1);
    assert.deepEqual(trainer.carriedShapes().get('momentum_buffer:conv.weight'), [32, 32, 3, 3]);
    assert.equal(trainer.optimizerState().tensors.get('momentum_buffer:conv.weight')?.length, 32 * 32 * 9);
  });
});
