/**
 * Training-mode Dropout (PyTorch's inverted dropout): in a training step each output is 0 or the
 * inference value / (1 − p), the gradient goes only through the kept elements with the same scale
 * (checked against hand-computed SGD on a Gemm), masks are seeded, and the model stays in inference
 * form (predict and the source graph see no dropout).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeRuntime } from '../../src/engine/node.js';
import { prepareGraph } from '../../src/engine/prepare.js';
import { buildModel, graphFromBytes } from '../../src/onnx/builder.js';
import type { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { oneHotRows, softmaxCrossEntropy } from '../../src/training/loss.js';
import { sgd } from '../../src/training/optimizers/index.js';
import { DEFAULT_HYPER } from '../../src/training/optimizers/types.js';
import { buildStepGraph } from '../../src/training/step-graph.js';
import { rng, uniform } from '../helpers/gradcheck.js';

const [B, F, K, P] = [8, 4, 6, 0.25];
const random = rng(3);
const W = uniform(K * F, random);
const bias = uniform(K, random);
const x = uniform(B * F, random);
const labels = Array.from({ length: B }, (_, n) => n % K);

function model(): Graph {
  return graphFromBytes(
    buildModel({
      opset: 17,
      inputs: [{ name: 'x', dims: ['batch', F] }],
      outputs: ['logits'],
      build: (b) => {
        const h = b.op('Gemm', ['x', b.weight('fc.weight', W, [K, F]), b.weight('fc.bias', bias, [K])], { transB: 1 });
        b.op('Dropout', [h, b.weight('ratio', [P], [])], {}, { outputs: ['logits'], name: 'drop' });
      },
    }),
  );
}

/** One SGD step (lr 1) of the step graph: the logits it saw and the updated weight and bias. */
async function oneStep(source: Graph, seed: number) {
  const prepared = await prepareGraph(nodeRuntime, source, [B, F]);
  const step = await buildStepGraph(nodeRuntime, prepared, {
    trainable: ['fc.weight', 'fc.bias'],
    optimizer: sgd,
    hyper: { ...DEFAULT_HYPER },
    bn: 'train',
    loss: [softmaxCrossEntropy()],
    seed,
  });
  const session = await nodeRuntime.createSession(encodeModel(step.graph.toModel()), { optimization: 'disabled' });
  try {
    const out = await session.run({
      x: { data: x, shape: [B, F] },
      [step.oneHot]: { data: oneHotRows(labels, K), shape: [B, K] },
      [step.scalars.lr as string]: { data: new Float32Array([1]), shape: [] },
      'fc.weight': { data: W, shape: [K, F] },
      'fc.bias': { data: bias, shape: [K] },
    });
    return { logits: out.logits?.data as Float32Array, w: out['next:fc.weight']?.data as Float32Array, b: out['next:fc.bias']?.data as Float32Array };
  } finally {
    await session.dispose();
  }
}

/** x·Wᵀ + b, the inference logits. */
function inference(w: ArrayLike<number>, bb: ArrayLike<number>): Float64Array {
  const z = new Float64Array(B * K);
  for (let n = 0; n < B; n++)
    for (let k = 0; k < K; k++) {
      let s = bb[k] as number;
      for (let f = 0; f < F; f++) s += (x[n * F + f] as number) * (w[k * F + f] as number);
      z[n * K + k] = s;
    }
  return z;
}

describe('Dropout in training mode', () => {
  it('zeroes elements with probability p and scales the rest by 1/(1 − p); the gradient follows the same mask', async () => {
    const r = await oneStep(model(), 7);
    const z0 = inference(W, bias);
    const kept = r.logits.map((v, _i) => (Math.abs(v) > 0 ? 1 : 0));
    let dropped = 0;
    r.logits.forEach((v, i) => {
      if (kept[i]) assert.ok(Math.abs(v - (z0[i] as number) / (1 - P)) < 1e-5, `element ${i}: ${v} vs ${(z0[i] as number) / (1 - P)}`);
      else dropped++;
    });
    assert.ok(dropped >= 3 && dropped <= 24, `${dropped} of ${B * K} dropped at p ${P}`);
    // hand-computed SGD (lr 1): g = (softmax(z) − onehot)/B · mask/(1 − p), dW = gᵀx, db = Σ g
    const dW = new Float64Array(K * F);
    const db = new Float64Array(K);
    for (let n = 0; n < B; n++) {
      const row = Array.from(r.logits.slice(n * K, n * K + K));
      const max = Math.max(...row);
      const e = row.map((v) => Math.exp(v - max));
      const sum = e.reduce((a, c) => a + c, 0);
      for (let k = 0; k < K; k++) {
        const g = (((e[k] as number) / sum - (labels[n] === k ? 1 : 0)) / B) * ((kept[n * K + k] as number) / (1 - P));
        db[k] = (db[k] as number) + g;
        for (let f = 0; f < F; f++) dW[k * F + f] = (dW[k * F + f] as number) + g * (x[n * F + f] as number);
      }
    }
    W.forEach((w, i) => {
      assert.ok(Math.abs((r.w[i] as number) - (w - (dW[i] as number))) < 1e-5, `fc.weight[${i}]`);
    });
    bias.forEach((v, k) => {
      assert.ok(Math.abs((r.b[k] as number) - (v - (db[k] as number))) < 1e-5, `fc.bias[${k}]`);
    });
  });
  it('masks are seeded: the same seed repeats them, another seed changes them', async () => {
    const mask = (l: Float32Array) => Array.from(l, (v) => (v === 0 ? 0 : 1)).join('');
    const [a, b, c] = [await oneStep(model(), 1), await oneStep(model(), 1), await oneStep(model(), 2)];
    assert.equal(mask(a.logits), mask(b.logits));
    assert.notEqual(mask(a.logits), mask(c.logits));
  });
  it('leaves the model in inference form: the source graph keeps its Dropout, and its forward pass drops nothing', async () => {
    const source = model();
    await oneStep(source, 0);
    const node = source.nodes.find((n) => n.opType === 'Dropout');
    assert.deepEqual(node?.input?.length, 2);
    assert.deepEqual(node?.output, ['logits']);
    const prepared = await prepareGraph(nodeRuntime, source, [B, F]);
    const session = await nodeRuntime.createSession(encodeModel(prepared.graph.toModel()));
    try {
      const z = (await session.run({ x: { data: x, shape: [B, F] } })).logits?.data as Float32Array;
      inference(W, bias).forEach((v, i) => {
        assert.ok(Math.abs((z[i] as number) - v) < 1e-5);
      });
    } finally {
      await session.dispose();
    }
  });
});
