/**
 * The dissection trunk through the compile store: a second trunk of the same layers and batch
 * opens the stored (ORT-optimised) graph in one session, gives the same shapes and activations
 * (no probe run either way: ONNX Runtime's inferred shapes, then the stored ones); other layers or another batch size miss; without a store nothing is cached.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openLayerTrunk } from '../../src/dissection/forward.js';
import { trunkCacheKey } from '../../src/dissection/trunk-session.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { diskCompileStore, withCompileCache } from '../../src/engine/node-cache.js';
import type { Runtime, RuntimeSession } from '../../src/engine/runtime.js';
import { colourModelBytes, FEATURES } from '../helpers/dissect-fixtures.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** A runtime over a fresh disk store that counts its sessions and their runs. */
async function countingRuntime(): Promise<Runtime & { sessions: number; runs: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'lucerna-trunk-cache-'));
  dirs.push(dir);
  const base = withCompileCache(nodeRuntime, diskCompileStore({ dir, tag: 'test' }));
  const runtime = {
    ...base,
    sessions: 0,
    runs: 0,
    async createSession(bytes: Uint8Array, options?: Parameters<Runtime['createSession']>[1]): Promise<RuntimeSession> {
      runtime.sessions++;
      const s = await base.createSession(bytes, options);
      const run: RuntimeSession['run'] = (...a) => {
        runtime.runs++;
        return s.run(...a);
      };
      return { ...s, run, dispose: () => s.dispose() } as RuntimeSession;
    },
  };
  return runtime;
}

const items = Array.from({ length: 3 }, (_, i) => ({
  name: `x${i}`,
  image: async () => ({ data: Float32Array.from({ length: 192 }, (_, k) => Math.sin(k + 7 * i)), shape: [1, 3, 8, 8] }),
}));

/** The plain runtime, counting runs, with sessions that do not tell their inferred output shapes. */
function withoutInferredShapes(): Runtime & { runs: number } {
  const runtime = {
    ...nodeRuntime,
    runs: 0,
    async createSession(bytes: Uint8Array, options?: Parameters<Runtime['createSession']>[1]): Promise<RuntimeSession> {
      const s = await nodeRuntime.createSession(bytes, options);
      const run: RuntimeSession['run'] = (...a) => {
        runtime.runs++;
        return s.run(...a);
      };
      return { inputNames: s.inputNames, outputNames: s.outputNames, run, dispose: () => s.dispose() };
    },
  };
  return runtime;
}

async function activations(runtime: Runtime, layers: string[], batch: number) {
  await using model = await Model.load(colourModelBytes(), { runtime });
  await using trunk = await openLayerTrunk(model, layers, [3, 8, 8], batch);
  const out: number[][] = [];
  await trunk.run(items, (_, acts) => void out.push(...acts.map((a) => [...a])), {});
  return { shapes: trunk.shapes, out };
}

describe('dissection trunk in the compile store', () => {
  test('a second trunk opens the stored graph and gives the same activations', async () => {
    const runtime = await countingRuntime();
    const cold = await activations(runtime, [FEATURES, 'mix'], 2);
    assert.deepEqual(cold.shapes, [
      [4, 4, 4],
      [2, 4, 4],
    ]);
    // One session, two batches: the shapes come from ONNX Runtime's shape inference, not a probe run.
    assert.deepEqual([runtime.sessions, runtime.runs], [1, 2]);
    const warm = await activations(runtime, [FEATURES, 'mix'], 2);
    assert.deepEqual([runtime.sessions, runtime.runs], [2, 4]);
    assert.deepEqual(warm, cold);
    const plain = await activations(nodeRuntime, [FEATURES, 'mix'], 2);
    assert.deepEqual(plain, cold);
  });

  test('a session that does not tell its output shapes is probed with one run on zeros, with the same result', async () => {
    const runtime = withoutInferredShapes();
    const probed = await activations(runtime, [FEATURES, 'mix'], 2);
    assert.equal(runtime.runs, 3);
    assert.deepEqual(probed, await activations(nodeRuntime, [FEATURES, 'mix'], 2));
  });

  test('other layers or another batch size are other entries; no store, no key', async () => {
    const runtime = await countingRuntime();
    await activations(runtime, [FEATURES], 2);
    await activations(runtime, [FEATURES], 3);
    await activations(runtime, ['mix'], 2);
    // Three trunks built: 3 sessions, 2 + 1 + 2 batches.
    assert.deepEqual([runtime.sessions, runtime.runs], [3, 5]);
    await using model = await Model.load(colourModelBytes(), { runtime: nodeRuntime });
    assert.equal(trunkCacheKey(model, [FEATURES], [2, 3, 8, 8], {}), undefined);
  });
});
