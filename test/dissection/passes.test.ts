/**
 * The library entry point: pass 2 from a cache (in memory, or the CLI's memory-then-file cache) equals pass 2 recomputed; the sketch store gives the
 * exact thresholds until it compacts, and reports a rank-error bound once it does; the top images
 * picked in pass 1 equal those pass 2 picks alone; cancellation.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BrodenDataset, openBroden } from '../../src/datasets/broden/node.js';
import { memoryActivationCache } from '../../src/dissection/cache.js';
import { type ConceptData, dissect } from '../../src/dissection/dissect.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { isLucernaError } from '../../src/errors.js';
import { fileActivationCache } from '../../src/io/activation-cache.js';
import { loadImageTensor } from '../../src/io/image.js';
import { colourModelBytes, FEATURES, writeColourSet } from '../helpers/dissect-fixtures.js';

let dir: string;
let set: BrodenDataset;
let data: ConceptData;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'passes-'));
  await writeColourSet(dir);
  set = await openBroden(dir);
  data = {
    meta: set.meta,
    items: set.rows.map((row) => ({
      name: row.image,
      image: async () => (await loadImageTensor(set.imagePath(row), { size: [8, 8], normalization: 'imagenet' })).tensor,
      labels: () => set.readLabels(row),
    })),
  };
});
after(() => rm(dir, { recursive: true, force: true }));

describe('dissect()', () => {
  it('counts the same from cached activations as from a second forward pass, and the sketch is exact before it compacts', async () => {
    await using model = await Model.load(colourModelBytes(), { runtime: nodeRuntime });
    const options = { layers: [FEATURES], quantile: 0.2, batchSize: 5 };
    const plain = await dissect(model, data, options);
    await using cache = memoryActivationCache();
    const cached = await dissect(model, data, { ...options, cache });
    const sketched = await dissect(model, data, { ...options, exactBudget: 1, sketchCapacity: 4096 });
    const [p, c, s] = [plain, cached, sketched].map((r) => r.layers[0]);
    assert.deepEqual(c?.tally?.state(), p?.tally?.state());
    // The CLI's cache: the engine's outputs kept as they are (no copy) up to the budget, the rest in a file.
    for (const memoryBytes of [2 ** 20, 2 * 5 * 64 * 4]) {
      await using file = await fileActivationCache(dir, { memoryBytes });
      const viaFile = await dissect(model, data, { ...options, cache: file });
      assert.deepEqual(viaFile.layers[0]?.tally?.state(), p?.tally?.state());
    }
    assert.deepEqual(s?.tally?.state(), p?.tally?.state());
    assert.deepEqual([...(s?.thresholds ?? [])], [...(p?.thresholds ?? [])]);
    assert.equal(s?.rankError, 0);
    const compacted = await dissect(model, data, { ...options, exactBudget: 1, sketchCapacity: 16, quantilesOnly: true });
    assert.ok((compacted.layers[0]?.rankError ?? 0) > 0);
    assert.equal(compacted.layers[0]?.tally, undefined);
  });

  it('picks the top images in pass 1, reported before pass 2, as pass 2 alone picks them', async () => {
    await using model = await Model.load(colourModelBytes(), { runtime: nodeRuntime });
    const options = { layers: [FEATURES], quantile: 0.2, batchSize: 5 };
    const events: string[] = [];
    let early: unknown;
    const full = await dissect(model, data, {
      ...options,
      onTopImages: (tops) => {
        events.push('tops');
        early = tops[0]?.state();
      },
      onProgress: (pass) => {
        if (events.at(-1) !== pass) events.push(pass);
      },
    });
    assert.deepEqual(events, ['thresholds', 'tops', 'tally']);
    const layer = full.layers[0];
    const given = await dissect(model, data, { ...options, thresholds: { [layer?.layer as string]: layer?.thresholds as Float64Array } });
    assert.deepEqual(layer?.top?.state(), early);
    assert.deepEqual(given.layers[0]?.top?.state(), early);
    assert.deepEqual(given.layers[0]?.tally?.state(), layer?.tally?.state());
  });

  it('stops with ABORTED when cancelled', async () => {
    await using model = await Model.load(colourModelBytes(), { runtime: nodeRuntime });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(dissect(model, data, { layers: [FEATURES], signal: controller.signal }), (e) => isLucernaError(e, 'ABORTED'));
  });
});
