import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forEachChunk, validBatchSize } from '../../src/engine/batching.js';
import { chunkRanges, chunkSlices } from '../../src/tensor/chunks.js';
import { padBatch } from '../../src/tensor/tensor.js';

describe('chunkRanges', () => {
  it('covers [0, total) in order with chunks of batch rows, the last shorter', () => {
    assert.deepEqual(
      [...chunkRanges(5, 2)],
      [
        { first: 0, count: 2 },
        { first: 2, count: 2 },
        { first: 4, count: 1 },
      ],
    );
    assert.deepEqual([...chunkRanges(4, 4)], [{ first: 0, count: 4 }]);
    assert.deepEqual([...chunkRanges(0, 3)], []);
  });

  it('floors the batch and keeps it at least 1', () => {
    assert.deepEqual(
      [...chunkRanges(3, 2.7)].map((c) => c.count),
      [2, 1],
    );
    assert.deepEqual(
      [...chunkRanges(2, 0)].map((c) => c.count),
      [1, 1],
    );
  });

  it('tiles every row exactly once for any batch size', () => {
    for (let total = 0; total < 20; total++) {
      for (let batch = 1; batch < 9; batch++) {
        const rows = [...chunkRanges(total, batch)].flatMap(({ first, count }) => Array.from({ length: count }, (_, k) => first + k));
        assert.deepEqual(
          rows,
          Array.from({ length: total }, (_, i) => i),
          `total ${total}, batch ${batch}`,
        );
      }
    }
  });
});

describe('chunkSlices', () => {
  it('cuts a list into consecutive slices', () => {
    assert.deepEqual(chunkSlices(['a', 'b', 'c'], 2), [['a', 'b'], ['c']]);
    assert.deepEqual(chunkSlices([], 2), []);
  });
});

describe('forEachChunk', () => {
  it('reports progress after each chunk, offset into a larger run when asked', async () => {
    const seen: string[] = [];
    await forEachChunk(5, 2, { onProgress: (d, t) => seen.push(`${d}/${t}`), progress: { offset: 10, total: 20 } }, (first, count) => {
      seen.push(`[${first},${count}]`);
    });
    assert.deepEqual(seen, ['[0,2]', '12/20', '[2,2]', '14/20', '[4,1]', '15/20']);
  });

  it('stops before the next chunk once the signal fires', async () => {
    const controller = new AbortController();
    const firsts: number[] = [];
    const run = forEachChunk(10, 3, { signal: controller.signal }, (first) => {
      firsts.push(first);
      if (first === 3) controller.abort();
    });
    await assert.rejects(run, { code: 'ABORTED' });
    assert.deepEqual(firsts, [0, 3]);
  });
});

describe('validBatchSize (the one batch-size validator)', () => {
  it('takes a positive integer, or the fallback when none is given', () => {
    assert.equal(validBatchSize(4, 8), 4);
    assert.equal(validBatchSize(undefined, 8), 8);
  });

  it('rejects anything else in one line', () => {
    for (const bad of [0, -2, 2.5, Number.NaN]) {
      assert.throws(() => validBatchSize(bad, 8), { code: 'BAD_OPTION', message: `The batch size must be a positive integer, got ${bad}` });
    }
    assert.throws(() => validBatchSize(undefined), { code: 'BAD_OPTION' });
  });
});

describe('padBatch (the last chunk made whole)', () => {
  const a = { data: Float32Array.of(1, 2), shape: [1, 2] };
  const b = { data: Float32Array.of(3, 4, 5, 6), shape: [2, 2] };

  it('stacks the parts and pads with zero rows up to the batch', () => {
    const p = padBatch([a, b], 5);
    assert.deepEqual(p.shape, [5, 2]);
    assert.deepEqual([...p.data], [1, 2, 3, 4, 5, 6, 0, 0, 0, 0]);
  });

  it('leaves a full batch as it is', () => {
    assert.equal(padBatch([b], 2), b);
    assert.deepEqual(padBatch([a, b], 3).shape, [3, 2]);
    assert.deepEqual(padBatch([b], 1).shape, [2, 2]);
  });
});
