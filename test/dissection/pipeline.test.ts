/**
 * The dissection pipeline's read-ahead pieces: batches that skip unreadable items, and label
 * loads started ahead of the batch that needs them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunksOf } from '../../src/dissection/forward.js';
import { lookahead } from '../../src/dissection/lookahead.js';

describe('chunksOf', () => {
  it('batches indices, counting skipped ones in the batch that meets them', () => {
    assert.deepEqual(chunksOf(5, 2, new Set([1])), [
      { ids: [0, 2], skipped: 1 },
      { ids: [3, 4], skipped: 0 },
    ]);
    assert.deepEqual(chunksOf(3, 2, new Set([2])), [
      { ids: [0, 1], skipped: 0 },
      { ids: [], skipped: 1 },
    ]);
    assert.deepEqual(chunksOf(0, 4), []);
  });

  it('gives the batches of a one-item-at-a-time reading, for any size and skip set', () => {
    // The reading it must equal: walk the items, flush a batch when it holds `size` ids.
    const reference = (n: number, size: number, skip: ReadonlySet<number>) => {
      const out: { ids: number[]; skipped: number }[] = [];
      let current = { ids: [] as number[], skipped: 0 };
      for (let i = 0; i < n; i++) {
        if (skip.has(i)) current.skipped++;
        else current.ids.push(i);
        if (current.ids.length === size) {
          out.push(current);
          current = { ids: [], skipped: 0 };
        }
      }
      if (current.ids.length > 0 || current.skipped > 0) out.push(current);
      return out;
    };
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let trial = 0; trial < 500; trial++) {
      const n = Math.floor(random() * 14);
      const size = 1 + Math.floor(random() * 5);
      const density = random();
      const skip = new Set(Array.from({ length: n + 2 }, (_, i) => i).filter(() => random() < density));
      assert.deepEqual(chunksOf(n, size, skip), reference(n, size, skip), `n ${n}, size ${size}, skip ${[...skip]}`);
    }
  });
});

describe('lookahead', () => {
  it('starts the next loads when asked for one, and loads each item once', async () => {
    const calls: number[] = [];
    const ahead = lookahead(
      [0, 1, 2, 3, 4],
      async (i) => {
        calls.push(i);
        return i * 10;
      },
      2,
    );
    assert.equal(await ahead.get(0), 0);
    assert.deepEqual(calls, [0, 1, 2]);
    assert.equal(await ahead.get(1), 10);
    assert.deepEqual(calls, [0, 1, 2, 3]);
    assert.equal(await ahead.get(4), 40);
    assert.deepEqual(calls, [0, 1, 2, 3, 4]);
    // Not in the order (or already taken): loaded on demand.
    assert.equal(await ahead.get(1), 10);
    assert.deepEqual(calls, [0, 1, 2, 3, 4, 1]);
  });

  it('a failed load rejects only when asked for', async () => {
    const ahead = lookahead(
      [0, 1],
      async (i) => {
        if (i === 1) throw new Error('bad label file');
        return i;
      },
      4,
    );
    assert.equal(await ahead.get(0), 0);
    await assert.rejects(ahead.get(1), /bad label file/);
  });
});
