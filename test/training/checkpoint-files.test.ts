/**
 * Checkpoint files: all or nothing, and the optimizer state round trip.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { optimizerStatePath, readOptimizerState, writeCheckpoint } from '../../src/io/checkpoint.js';
import { buildModel, graphFromBytes } from '../../src/onnx/builder.js';

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
