/**
 * Several optimizer steps in one ORT run (src/training/multi-step.ts, `Trainer.stepMany`): the
 * parameters, optimizer state, running statistics, losses and accuracies equal those of the same
 * steps taken one run each (a conv + train-mode BatchNorm + ReLU + pooling + fc model, SGD with
 * momentum, Nesterov and weight decay, and Adam whose per-step bias corrections and a changing
 * learning rate are fed per step); a non-finite loss names its step and keeps the earlier values.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeRuntime } from '../../src/engine/node.js';
import { buildModel, graphFromBytes } from '../../src/onnx/builder.js';
import type { Graph } from '../../src/onnx/graph.js';
import { readFloats } from '../../src/onnx/tensors.js';
import { adam, sgd } from '../../src/training/optimizers/index.js';
import type { Optimizer, OptimizerHyper } from '../../src/training/optimizers/types.js';
import { type StepBatch, Trainer } from '../../src/training/trainer.js';
import { maxRelative } from '../helpers/compare.js';
import { rng, uniform } from '../helpers/gradcheck.js';

function tinyNet(): Graph {
  const r = rng(7);
  return graphFromBytes(
    buildModel({
      inputs: [{ name: 'x', dims: ['n', 2, 5, 5] }],
      outputs: ['logits'],
      build: (b) => {
        const conv = b.op('Conv', ['x', b.weight('conv.weight', uniform(4 * 2 * 9, r), [4, 2, 3, 3])], { pads: [1, 1, 1, 1] });
        const bn = b.op('BatchNormalization', [
          conv,
          b.weight('bn.weight', uniform(4, r, 0.5, 1.5), [4]),
          b.weight('bn.bias', uniform(4, r), [4]),
          b.weight('bn.running_mean', [0, 0, 0, 0], [4]),
          b.weight('bn.running_var', [1, 1, 1, 1], [4]),
        ]);
        const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [b.op('Relu', [bn])])]);
        b.op(
          'Gemm',
          [pooled, b.weight('fc.weight', uniform(3 * 4, r), [3, 4]), b.weight('fc.bias', uniform(3, r), [3])],
          { transB: 1 },
          { outputs: ['logits'] },
        );
      },
    }),
  );
}

const batches: StepBatch[] = [0, 1, 2, 3].map((k) => ({
  x: { data: uniform(3 * 2 * 25, rng(20 + k)), shape: [3, 2, 5, 5] },
  labels: [k % 3, (k + 1) % 3, (k + 2) % 3],
  lr: 0.1 / (k + 1),
}));

async function bothWays(optimizer: Optimizer, hyper: Partial<OptimizerHyper>) {
  const graph = tinyNet();
  await using one = await Trainer.create(graph, [2, 5, 5], { runtime: nodeRuntime, optimizer, hyper, session: { threads: 1 } });
  await using many = await Trainer.create(graph, [2, 5, 5], { runtime: nodeRuntime, optimizer, hyper, session: { threads: 1 } });
  const single = [];
  for (const b of batches) single.push(await one.step(b.x, b.labels, b.lr));
  // three steps in one run, then the fourth alone (an epoch's remainder)
  const grouped = [...(await many.stepMany(batches.slice(0, 3))), ...(await many.stepMany(batches.slice(3)))];
  return { one, many, single, grouped };
}

describe('several optimizer steps in one run', () => {
  for (const [name, optimizer, hyper] of [
    ['SGD, momentum, Nesterov, weight decay', sgd, { momentum: 0.9, nesterov: true, weightDecay: 1e-2 }],
    ['Adam (per-step bias corrections)', adam, {}],
  ] as const) {
    it(`${name}: the same values as one run per step`, async () => {
      const { one, many, single, grouped } = await bothWays(optimizer, hyper);
      assert.equal(many.steps, 4);
      assert.deepEqual(
        grouped.map((r) => [r.correct, r.count]),
        single.map((r) => [r.correct, r.count]),
      );
      for (const [i, r] of grouped.entries()) assert.ok(Math.abs(r.loss - (single[i]?.loss as number)) <= 1e-6 * Math.abs(r.loss), `loss ${i}`);
      const [a, b] = [one.values(), many.values()];
      assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
      assert.ok(a.has('bn.running_var'));
      for (const [k, v] of a) assert.ok(maxRelative(v, b.get(k) as Float32Array) <= 1e-6, `${k}: ${maxRelative(v, b.get(k) as Float32Array)}`);
      const [sa, sb] = [one.optimizerState(), many.optimizerState()];
      assert.equal(sb.step, sa.step);
      assert.ok(sa.tensors.size > 0);
      for (const [k, v] of sa.tensors) assert.ok(maxRelative(v, sb.tensors.get(k) as Float32Array) <= 1e-6, k);
      // the steps moved the weights (the comparison is not between two no-ops)
      const w0 = readFloats(tinyNet().initializer('conv.weight'));
      assert.ok(maxRelative(w0, a.get('conv.weight') as Float32Array) > 1e-3);
    });
  }

  it('a non-finite loss names its step and keeps the values from before the run', async () => {
    await using trainer = await Trainer.create(tinyNet(), [2, 5, 5], { runtime: nodeRuntime, optimizer: sgd, session: { threads: 1 } });
    await trainer.stepMany(batches.slice(0, 1));
    const before = trainer.values();
    const bad = batches.slice(0, 3).map((b, k) => (k === 1 ? { ...b, x: { ...b.x, data: new Float32Array(b.x.data.length).fill(Number.NaN) } } : b));
    await assert.rejects(
      trainer.stepMany(bad),
      (e: Error & { code?: string }) => e.code === 'NON_FINITE_LOSS' && /at step 3 \(learning rate 0\.05\)/.test(e.message),
    );
    assert.equal(trainer.steps, 1);
    for (const [k, v] of before) assert.deepEqual(trainer.values().get(k), v);
  });
});
