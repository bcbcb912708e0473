/**
 * Prompt cancellation (Ctrl-C in dissect and bias): a Ctrl-C that lands while a batch's images are
 * being decoded costs no further forward pass (dissect's trunk, bias's top patches), and a gradient
 * run that is already cancelled compiles nothing (compiling and opening a session block the event
 * loop for seconds on a large model).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runGradientRows, tensorRows } from '../../src/attribution/rows.js';
import { openLayerTrunk } from '../../src/dissection/forward.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import type { Runtime } from '../../src/engine/runtime.js';
import { isLucernaError } from '../../src/errors.js';
import { topPatches } from '../../src/visualization/top-patches.js';
import { colourModelBytes, FEATURES } from '../helpers/dissect-fixtures.js';

const image = (i: number) => ({ data: Float32Array.from({ length: 192 }, (_, k) => Math.sin(k + 7 * i)), shape: [1, 3, 8, 8] });

describe('cancellation', () => {
  test('dissect trunk: an abort while the next images decode runs no further batch', async () => {
    await using model = await Model.load(colourModelBytes(), { runtime: nodeRuntime });
    await using trunk = await openLayerTrunk(model, [FEATURES], [3, 8, 8], 2);
    const controller = new AbortController();
    // Item 2 is in the second batch: its image is asked for while the first batch is about to run.
    const items = Array.from({ length: 6 }, (_, i) => ({
      name: `x${i}`,
      image: async () => {
        if (i === 2) controller.abort();
        return image(i);
      },
    }));
    const batches: number[][] = [];
    await assert.rejects(
      trunk.run(items, (indices) => void batches.push([...indices]), { signal: controller.signal }),
      (e: unknown) => isLucernaError(e, 'ABORTED'),
    );
    assert.deepEqual(batches, [], 'no batch is run after the abort');
  });

  test('dissect trunk: without an abort every batch runs (the fixture above is live)', async () => {
    await using model = await Model.load(colourModelBytes(), { runtime: nodeRuntime });
    await using trunk = await openLayerTrunk(model, [FEATURES], [3, 8, 8], 2);
    const items = Array.from({ length: 6 }, (_, i) => ({ name: `x${i}`, image: async () => image(i) }));
    const batches: number[][] = [];
    await trunk.run(items, (indices) => void batches.push([...indices]), { signal: new AbortController().signal });
    assert.deepEqual(batches, [
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
  });

  test('top patches (bias evidence): an abort during an image decode runs no batch and builds no session', async () => {
    let sessions = 0;
    const runtime: Runtime = {
      ...nodeRuntime,
      createSession: (...a) => {
        sessions++;
        return nodeRuntime.createSession(...a);
      },
    };
    await using model = await Model.load(colourModelBytes(), { runtime });
    const sessionsBefore = sessions;
    const controller = new AbortController();
    const rgb = { rgb: new Uint8Array(8 * 8 * 3), width: 8, height: 8 };
    const sources = Array.from({ length: 3 }, (_, i) => ({
      name: `x${i}`,
      load: async () => {
        if (i === 0) controller.abort();
        return { tensor: image(i), image: rgb };
      },
    }));
    await assert.rejects(topPatches(model, sources, { layer: FEATURES, batchSize: 1, signal: controller.signal }), (e: unknown) =>
      isLucernaError(e, 'ABORTED'),
    );
    assert.equal(sessions, sessionsBefore);
  });

  test('gradient rows: a cancelled run compiles no plan', async () => {
    await using model = await Model.load(colourModelBytes(), { runtime: nodeRuntime });
    let compiles = 0;
    const compile = model.compile.bind(model);
    model.compile = (...a: Parameters<Model['compile']>) => {
      compiles++;
      return compile(...a);
    };
    const x = { data: Float32Array.from({ length: 2 * 192 }, (_, k) => Math.cos(k)), shape: [2, 3, 8, 8] };
    const seed = model.outputNames[0] as string;
    const run = (signal: AbortSignal) => runGradientRows(model, [3, 8, 8], tensorRows(x, [0, 1]), { plan: { seeds: [seed] }, seed, signal }, () => {});
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(run(controller.signal), (e: unknown) => isLucernaError(e, 'ABORTED'));
    assert.equal(compiles, 0);
    await run(new AbortController().signal);
    assert.equal(compiles, 1);
  });
});
