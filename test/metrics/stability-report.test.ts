/**
 * The location-instability report's geometry: the mean shape, and the similarity transform that
 * carries a peak into it (exact on a scaled, turned and shifted copy of the shape).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meanShape, toMeanShape } from '../../src/metrics/mean-shape.js';

describe('stability report geometry', () => {
  it('averages landmarks over the images that have them', () => {
    const images = [
      {
        x: [],
        y: [],
        value: [],
        landmarks: new Map([
          ['a', [0, 0] as const],
          ['b', [4, 2] as const],
        ]),
      },
      { x: [], y: [], value: [], landmarks: new Map([['a', [2, 2] as const]]) },
    ];
    assert.deepEqual(meanShape(images), [
      { name: 'a', x: 1, y: 1 },
      { name: 'b', x: 4, y: 2 },
    ]);
  });

  it('undoes a similarity transform exactly and falls back to a translation with one landmark', () => {
    const mean = new Map([
      ['a', [10, 10] as const],
      ['b', [20, 10] as const],
      ['c', [10, 30] as const],
    ]);
    // The image: the mean shape scaled by 0.5, turned 90° (x → −y) and shifted by (3, 4).
    const f = ([x, y]: readonly [number, number]): [number, number] => [3 - 0.5 * y, 4 + 0.5 * x];
    const landmarks = new Map([...mean].map(([k, v]) => [k, f(v)] as const));
    const q = toMeanShape(f([17, 23]), landmarks, mean) as [number, number];
    assert.ok(Math.abs(q[0] - 17) < 1e-9 && Math.abs(q[1] - 23) < 1e-9, `${q}`);
    assert.deepEqual(toMeanShape([1, 1], new Map([['a', [0, 0] as const]]), mean), [11, 11]);
    assert.equal(toMeanShape([1, 1], new Map([['z', [0, 0] as const]]), mean), undefined);
  });
});
