/**
 * The report's mask layer (src/dissection/overlay.ts): the same `up > threshold` pixels as the
 * tallies (maskAbove), the edge drawn on inside pixels that touch the outside or the border.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskShades } from '../../src/dissection/overlay.js';

describe('maskShades', () => {
  it('marks outside 1, inside 0 and the inside edge 2', () => {
    // [[0, 1], [2, 3]] at 4×4: rows [0 .25 .75 1], [.5 .75 1.25 1.5], [1.5 1.75 2.25 2.5], [2 2.25 2.75 3].
    assert.deepEqual([...maskShades(Float32Array.of(0, 1, 2, 3), 2, 2, 4, 4, 1.5)], [1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2]);
    assert.deepEqual([...maskShades(Float32Array.of(5, 5, 5, 5), 2, 2, 4, 4, 1)], [2, 2, 2, 2, 2, 0, 0, 2, 2, 0, 0, 2, 2, 2, 2, 2]);
    assert.deepEqual([...maskShades(Float32Array.of(5, 5, 5, 5), 2, 2, 3, 2, 9)], [1, 1, 1, 1, 1, 1]);
  });
});
