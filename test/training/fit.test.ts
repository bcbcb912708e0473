/**
 * The training loop: exact step counts across epochs, `--steps 1` on the first batch, validation
 * summaries, cancellation at the end of a step (or of a multi-step run), and several steps per run
 * training exactly as one per run.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dataset } from '../../src/datasets/types.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { buildModel, graphFromBytes } from '../../src/onnx/builder.js';
import {
  crossEntropyOf,
  DEFAULT_STEPS_PER_RUN,
  fit,
  MAX_STEPS_PER_RUN,
  RUN_BUDGET_MS,
  RUN_INPUT_BYTES,
  runAt,
  stepsPerRunFor,
} from '../../src/training/fit.js';
import { sgd } from '../../src/training/optimizers/index.js';
import { Trainer } from '../../src/training/trainer.js';
import { maxRelative } from '../helpers/compare.js';
import { rng, uniform } from '../helpers/gradcheck.js';

const graph = graphFromBytes(
  buildModel({
    inputs: [{ name: 'x', dims: ['n', 4] }],
    outputs: ['logits'],
    build: (b) =>
      b.op('Gemm', ['x', b.weight('fc.weight', uniform(12, rng(1)), [3, 4]), b.weight('fc.bias', [0, 0, 0], [3])], { transB: 1 }, { outputs: ['logits'] }),
  }),
);

/** An in-memory data set of `n` samples that records which indices were read. */
function memoryData(n: number, reads: number[][]): Dataset {
  const x = uniform(n * 4, rng(2));
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  return {
    size: n,
    sampleShape: [4],
    labels: async () => labels,
    async read(indices) {
      reads.push([...indices]);
      const data = new Float32Array(indices.length * 4);
      for (const [k, i] of indices.entries()) data.set(x.subarray(i * 4, i * 4 + 4), k * 4);
      return { x: { data, shape: [indices.length, 4] }, labels: Int32Array.from(indices, (i) => labels[i] as number) };
    },
  };
}

describe('fit', () => {
  it('--steps counts optimizer steps across epochs; a short last batch trains too', async () => {
    const reads: number[][] = [];
    await using trainer = await Trainer.create(graph, [4], { runtime: nodeRuntime, optimizer: sgd });
    const r = await fit(trainer, memoryData(5, reads), { batchSize: 2, steps: 7, shuffle: false, lr: 0.1 });
    assert.equal(r.steps, 7);
    assert.equal(trainer.steps, 7);
    assert.deepEqual(reads.slice(0, 4), [[0, 1], [2, 3], [4], [0, 1]]);
    assert.equal(r.epochs.length, 3);
  });
  it('steps 1 takes the first batch only', async () => {
    const reads: number[][] = [];
    await using trainer = await Trainer.create(graph, [4], { runtime: nodeRuntime, optimizer: sgd });
    const r = await fit(trainer, memoryData(6, reads), { batchSize: 3, steps: 1, shuffle: false, lr: 0.1 });
    assert.equal(r.steps, 1);
    assert.deepEqual(reads[0], [0, 1, 2]);
  });
  it('validation after each epoch matches a hand computation of the predictions', async () => {
    await using trainer = await Trainer.create(graph, [4], { runtime: nodeRuntime, optimizer: sgd });
    const val = memoryData(4, []);
    const r = await fit(trainer, memoryData(6, []), { batchSize: 3, epochs: 2, lr: 0.1, seed: 1, validation: val });
    const batch = await val.read([0, 1, 2, 3], 0);
    const want = crossEntropyOf((await trainer.predict(batch.x)).data, 3, batch.labels);
    assert.equal(r.epochs.length, 2);
    assert.ok(Math.abs((r.epochs[1]?.valLoss as number) - want.loss) < 1e-6);
    assert.equal(r.epochs[1]?.valAccuracy, want.correct / 4);
  });
  it('an aborted signal stops at the end of the current step (one step per run)', async () => {
    const controller = new AbortController();
    await using trainer = await Trainer.create(graph, [4], { runtime: nodeRuntime, optimizer: sgd });
    const r = await fit(trainer, memoryData(10, []), {
      batchSize: 2,
      epochs: 3,
      lr: 0.1,
      stepsPerRun: 1,
      signal: controller.signal,
      onStep: (p) => p.step === 2 && controller.abort(),
    });
    assert.equal(r.interrupted, true);
    assert.equal(r.steps, 2);
  });
  it('with several steps per run, an aborted signal stops at the end of the current run', async () => {
    const controller = new AbortController();
    await using trainer = await Trainer.create(graph, [4], { runtime: nodeRuntime, optimizer: sgd });
    const r = await fit(trainer, memoryData(10, []), {
      batchSize: 2,
      epochs: 3,
      lr: 0.1,
      signal: controller.signal,
      onStep: (p) => p.step === 2 && controller.abort(),
    });
    assert.equal(r.interrupted, true);
    assert.equal(r.steps, DEFAULT_STEPS_PER_RUN);
    assert.equal(trainer.steps, DEFAULT_STEPS_PER_RUN);
  });
  it('a run takes consecutive batches of one size', () => {
    const batches = [[0, 1], [2, 3], [4, 5], [6]];
    assert.deepEqual(runAt(batches, 0, 2), [
      [0, 1],
      [2, 3],
    ]);
    assert.deepEqual(runAt(batches, 2, 4), [[4, 5]]);
    assert.deepEqual(runAt(batches, 3, 4), [[6]]);
    assert.deepEqual(runAt(batches, 4, 4), []);
    assert.deepEqual(runAt(batches, 0, 0), [[0, 1]]);
  });
  it('steps per run follow the time per step and the batch size, between 1 and the maximum', () => {
    assert.equal(stepsPerRunFor(RUN_BUDGET_MS / 5, 1000), 5);
    assert.equal(stepsPerRunFor(RUN_BUDGET_MS / 5 + 1, 1000), 4);
    assert.equal(stepsPerRunFor(1, 1000), MAX_STEPS_PER_RUN);
    assert.equal(stepsPerRunFor(10 * RUN_BUDGET_MS, 1000), 1);
    assert.equal(stepsPerRunFor(Number.NaN, 1000), 1);
    assert.equal(stepsPerRunFor(1, RUN_INPUT_BYTES / 3), 3);
    assert.equal(stepsPerRunFor(1, 2 * RUN_INPUT_BYTES), 1);
  });
  it('by default the runs grow from the first one to as many steps as the time budget allows', async () => {
    await using trainer = await Trainer.create(graph, [4], { runtime: nodeRuntime, optimizer: sgd, session: { threads: 1 } });
    const sizes: number[] = [];
    const stepMany = trainer.stepMany.bind(trainer);
    trainer.stepMany = (batches) => {
      sizes.push(batches.length);
      return stepMany(batches);
    };
    const r = await fit(trainer, memoryData(100, []), { batchSize: 2, epochs: 1, lr: 0.1 });
    assert.equal(r.steps, 50);
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      50,
    );
    assert.equal(sizes[0], DEFAULT_STEPS_PER_RUN);
    assert.ok(sizes.every((k) => k <= MAX_STEPS_PER_RUN));
    // a step of this model takes well under RUN_BUDGET_MS / MAX_STEPS_PER_RUN (the first run's time
    // includes compiling, so the run after next may still be short)
    assert.equal(Math.max(...sizes), MAX_STEPS_PER_RUN, sizes.join(','));
  });
  it('several steps per run train exactly as one step per run (epochs, a short last batch, a schedule)', async () => {
    const run = async (stepsPerRun: number | undefined) => {
      await using trainer = await Trainer.create(graph, [4], { runtime: nodeRuntime, optimizer: sgd, hyper: { momentum: 0.9 }, session: { threads: 1 } });
      const r = await fit(trainer, memoryData(11, []), {
        batchSize: 3,
        epochs: 2,
        lr: 0.2,
        schedule: { kind: 'cosine', warmupSteps: 2 },
        seed: 4,
        stepsPerRun,
      });
      return { r, values: trainer.values() };
    };
    const a = await run(1);
    for (const b of [await run(3), await run(undefined)]) {
      assert.equal(b.r.steps, 8);
      assert.deepEqual(b.r.accuracies, a.r.accuracies);
      for (const [i, l] of a.r.losses.entries()) assert.ok(Math.abs(l - (b.r.losses[i] as number)) <= 1e-6 * Math.abs(l));
      for (const [k, v] of a.values) assert.ok(maxRelative(v, b.values.get(k) as Float32Array) <= 1e-6, k);
    }
  });
  it('cross-entropy of logits by hand', () => {
    const r = crossEntropyOf(new Float32Array([0, 0, 2, 0]), 2, [1, 0]);
    assert.ok(Math.abs(r.loss - (Math.log(2) + Math.log(1 + Math.exp(-2))) / 2) < 1e-9);
    assert.equal(r.correct, 1);
  });
});
