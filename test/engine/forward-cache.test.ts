/**
 * Forward sessions through the compile store (issue #12 defect 12: preparing the bundled model's
 * batch-32 forward session cost about 3 s of CPU in every `lime` or `kernel-shap` process): a
 * forward session never probes shapes (one session from the ONNX graph on a miss), a second
 * process-like load of the same model opens the stored ORT-format graph (one session), and both
 * score exactly as the uncached model does; without a store nothing changes.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { diskCompileStore, withCompileCache } from '../../src/engine/node-cache.js';
import { isOrtFormat } from '../../src/engine/ort-adapter.js';
import type { Runtime } from '../../src/engine/runtime.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { SIZE } from '../datasets/marker-set.js';
import { assertClose } from '../helpers/compare.js';
import { twoLayerModel } from '../helpers/graph-model.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** The disk store in `dir`, on a runtime that counts the sessions it opens and those opened from ORT-format bytes. */
function counting(dir: string): Runtime & { sessions: number; ortFormat: number } {
  const base = withCompileCache(nodeRuntime, diskCompileStore({ dir, tag: 'test' }));
  const runtime = {
    ...base,
    sessions: 0,
    ortFormat: 0,
    createSession(bytes: Uint8Array, options?: Parameters<Runtime['createSession']>[1]) {
      runtime.sessions++;
      if (isOrtFormat(bytes)) runtime.ortFormat++;
      return base.createSession(bytes, options);
    },
  };
  return runtime;
}

const x: Tensor = { data: Float32Array.from({ length: 3 * 3 * SIZE * SIZE }, (_, i) => Math.sin(i) ** 2), shape: [3, 3, SIZE, SIZE] };

async function logits(runtime: Runtime, bytes: Uint8Array): Promise<Tensor> {
  await using model = await Model.load(bytes, { runtime });
  return (await model.run(x)).logits as Tensor;
}

describe('forward sessions in the compile store', () => {
  test('a later load opens the stored forward graph (one session, no probes) with the same scores', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lucerna-forward-cache-'));
    dirs.push(dir);
    const bytes = twoLayerModel();
    const reference = await logits(nodeRuntime, bytes);
    const cold = counting(dir);
    const first = await logits(cold, bytes);
    assert.equal(cold.sessions, 1, 'a miss opens one session: no shape probes for a forward pass');
    assert.equal(cold.ortFormat, 0, 'a miss opens the ONNX graph');
    assert.equal((await readdir(dir)).filter((f) => f.endsWith('.lcc')).length, 1, 'one entry for the batch-3 forward graph');
    const warm = counting(dir);
    const second = await logits(warm, bytes);
    assert.equal(warm.sessions, 1, 'a hit opens one session and probes nothing');
    assert.equal(warm.ortFormat, 1, 'a hit opens the stored ORT-format graph');
    assertClose(first, reference, 1e-6, 'cold');
    assertClose(second, reference, 1e-6, 'warm');
    const other = counting(dir);
    await logits(other, twoLayerModel(2));
    assert.equal(other.ortFormat, 0, 'another model misses');
    assert.equal((await readdir(dir)).filter((f) => f.endsWith('.lcc')).length, 2, 'and is stored beside the first');
  });
});
