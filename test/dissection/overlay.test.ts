/**
 * The report's mask layer (src/dissection/overlay.ts): the same `up > threshold` pixels as the
 * tallies (maskAbove), the edge drawn on inside pixels that touch the outside or the border; the
 * per-map maxima the tally and the top images share.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskShades } from '../../src/dissection/overlay.js';
import { Tally, unitMaxima } from '../../src/dissection/tally.js';

describe('maskShades', () => {
  it('marks outside 1, inside 0 and the inside edge 2', () => {
    // [[0, 1], [2, 3]] at 4×4: rows [0 .25 .75 1], [.5 .75 1.25 1.5], [1.5 1.75 2.25 2.5], [2 2.25 2.75 3].
    assert.deepEqual([...maskShades(Float32Array.of(0, 1, 2, 3), 2, 2, 4, 4, 1.5)], [1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2]);
    assert.deepEqual([...maskShades(Float32Array.of(5, 5, 5, 5), 2, 2, 4, 4, 1)], [2, 2, 2, 2, 2, 0, 0, 2, 2, 0, 0, 2, 2, 2, 2, 2]);
    assert.deepEqual([...maskShades(Float32Array.of(5, 5, 5, 5), 2, 2, 3, 2, 9)], [1, 1, 1, 1, 1, 1]);
  });
});

describe('unitMaxima', () => {
  it('gives each map its maximum, and the tally counts the same with or without them', () => {
    const act = Float32Array.of(0, 3, 1, 2, -1, -5, -2, -3, 7, 7, 0, 1);
    assert.deepEqual([...unitMaxima(act, 0, 3, 4)], [3, -1, 7]);
    assert.deepEqual([...unitMaxima(act, 4, 2, 4)], [-1, 7]);
    const labels = { sh: 4, sw: 4, planes: [Int32Array.from({ length: 16 }, (_, i) => 1 + (i % 2))], scalars: [3] };
    const primary = Int32Array.of(0, 0, 0, 1);
    const thresholds = [1.5, -2, 6.5];
    const a = new Tally(3, 4, 2);
    const b = new Tally(3, 4, 2);
    a.addImage(act, 0, 2, 2, thresholds, labels, primary);
    b.addImage(act, 0, 2, 2, thresholds, labels, primary, unitMaxima(act, 0, 3, 4));
    assert.deepEqual(b.state(), a.state());
    assert.ok(a.unitTotal.every((v) => v > 0));
  });
});
