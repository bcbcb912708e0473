/**
 * The dissection's activation cache: batches stay in memory up to the budget, the rest go to a
 * temporary file (created only then); pass 2 reads them all back in order, equal to what was put;
 * dispose removes the file.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileActivationCache } from '../../src/io/activation-cache.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** Batch k of 2 items (the last one of 1, padded): layer 0 rows of 3 values, layer 1 rows of 2. */
function batch(k: number, last: boolean) {
  const count = last ? 1 : 2;
  const indices = Array.from({ length: count }, (_, i) => 2 * k + i);
  // Two rows each, whatever the count (the engine pads the last batch).
  const activations = [Float32Array.from({ length: 6 }, (_, i) => 100 * k + i), Float32Array.from({ length: 4 }, (_, i) => -100 * k - i)];
  return { indices, activations };
}

async function roundTrip(memoryBytes: number, batches: number) {
  const dir = await mkdtemp(join(tmpdir(), 'lucerna-act-cache-test-'));
  dirs.push(dir);
  const cache = await fileActivationCache(dir, { memoryBytes });
  const put = Array.from({ length: batches }, (_, k) => batch(k, k === batches - 1));
  const filesAfter: number[] = [];
  for (const b of put) {
    await cache.put(b.indices, b.activations, [3, 2]);
    filesAfter.push((await readdir(dir)).length);
  }
  const got: { indices: readonly number[]; activations: number[][] }[] = [];
  for await (const b of cache.batches()) got.push({ indices: b.indices, activations: b.activations.map((a) => [...a]) });
  await cache[Symbol.asyncDispose]();
  const expected = put.map((b) => ({
    indices: b.indices,
    activations: b.activations.map((a, l) => [...a.subarray(0, b.indices.length * (l === 0 ? 3 : 2))]),
  }));
  return { got, expected, filesAfter, left: (await readdir(dir)).length };
}

describe('activation cache', () => {
  it('keeps batches in memory up to the budget, spills the rest to a file, reads all back in order', async () => {
    // A full batch holds (2·3 + 2·2)·4 = 40 bytes: two fit in 80.
    const r = await roundTrip(80, 4);
    assert.deepEqual(r.got, r.expected);
    assert.deepEqual(r.filesAfter, [0, 0, 1, 1]);
    assert.equal(r.left, 0);
  });

  it('all in memory (no file), or all in the file', async () => {
    const inMemory = await roundTrip(1e6, 3);
    assert.deepEqual(inMemory.got, inMemory.expected);
    assert.deepEqual(inMemory.filesAfter, [0, 0, 0]);
    const onDisk = await roundTrip(0, 3);
    assert.deepEqual(onDisk.got, onDisk.expected);
    assert.deepEqual(onDisk.filesAfter, [1, 1, 1]);
    assert.equal(onDisk.left, 0);
  });
});
