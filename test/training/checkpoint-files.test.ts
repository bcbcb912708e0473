/**
 * Checkpoint files: all or nothing, and the optimizer state round trip.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { nodeRuntime } from '../../src/engine/node.js';
import { optimizerStatePath, readOptimizerState, writeCheckpoint } from '../../src/io/checkpoint.js';
import { buildModel, graphFromBytes } from '../../src/onnx/builder.js';
import { checkpointBytes } from '../../src/training/checkpoint.js';
import { sgd } from '../../src/training/optimizers/index.js';
import { Trainer } from '../../src/training/trainer.js';

const work = await mkdtemp(join(tmpdir(), 'lucerna-ckpt-'));
after(() => rm(work, { recursive: true, force: true }));

const source = graphFromBytes(
  buildModel({ inputs: [{ name: 'x', dims: [1, 2] }], outputs: ['y'], build: (b) => b.op('Mul', ['x', b.weight('w', [1, 2], [2])], {}, { outputs: ['y'] }) }),
);
const contents = {
  source,
  values: new Map([['w', new Float32Array([3, 4])]]),
  optimizer: {
    state: { step: 5, tensors: new Map([['momentum_buffer:w', new Float32Array([0.5, -0.5])]]) },
    shapes: new Map([['momentum_buffer:w', [2]]]),
    meta: { optimizer: 'sgd', step: 5 },
  },
};

describe('checkpoint files', () => {
  it('round-trips the optimizer state (step, tensors, shapes)', async () => {
    const path = join(work, 'ok.onnx');
    assert.deepEqual(await writeCheckpoint(path, contents), [optimizerStatePath(path), path]);
    const { state, meta, shapes } = await readOptimizerState(path);
    assert.equal(state.step, 5);
    assert.equal(meta.optimizer, 'sgd');
    assert.deepEqual(state.tensors.get('momentum_buffer:w'), new Float32Array([0.5, -0.5]));
    assert.deepEqual(shapes.get('momentum_buffer:w'), [2]);
  });
  it('leaves nothing behind when the model cannot be written', async () => {
    const path = join(work, 'blocked.onnx');
    mkdirSync(path); // a directory where the model file should go
    await assert.rejects(writeCheckpoint(path, contents), /Cannot write .*blocked\.onnx/);
    assert.ok(!existsSync(optimizerStatePath(path)));
  });
});

describe('checkpoint model', () => {
  it('computes what the trainer predicts (trained weights, updated running statistics, BatchNorm in inference form)', async () => {
    const oracle = join(import.meta.dirname, '../../../shared/oracle-train/tiny_bn/model.onnx');
    const graph = graphFromBytes(new Uint8Array(readFileSync(oracle)));
    await using trainer = await Trainer.create(graph, [3, 32, 32], { runtime: nodeRuntime, optimizer: sgd, hyper: { momentum: 0.9 } });
    const x = { data: new Float32Array(4 * 3 * 32 * 32).map((_, i) => Math.cos(i * 0.37)), shape: [4, 3, 32, 32] };
    for (let i = 0; i < 3; i++) await trainer.step(x, [0, 1, 2, 3], 0.05);
    const predicted = (await trainer.predict(x)).data;
    const session = await nodeRuntime.createSession(checkpointBytes(graph, trainer.values()));
    try {
      const logits = (await session.run({ input: x })).logits?.data as Float32Array;
      for (const [i, v] of logits.entries()) assert.ok(Math.abs(v - (predicted[i] as number)) < 1e-5, `${i}: ${v} vs ${predicted[i]}`);
    } finally {
      await session.dispose();
    }
  });
});
