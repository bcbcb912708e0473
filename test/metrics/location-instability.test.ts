/**
 * Location instability, the pure core: hand-computed cases for the default definition (tie rule,
 * population std, exclusions, null filters, pooled landmarks) and the ICNN protocol (top K,
 * sample std, most-stable fraction), and the cases where the two protocols must agree.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLucernaError } from '../../src/errors.js';
import { type InstabilityImage, locationInstability, roundHalfEven } from '../../src/metrics/location-instability.js';
import { channelPeaks, fieldCenter, unitCenter } from '../../src/metrics/peak-units.js';
import { seededRandom } from '../../src/tensor/random.js';

const near = (a: number | null, b: number, tol = 1e-12) => assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} vs ${b}`);

function img(x: number[], y: number[], value: number[], landmarks: Record<string, [number, number]>): InstabilityImage {
  return { x, y, value, landmarks: new Map(Object.entries(landmarks)) };
}

describe('peak units', () => {
  it('takes the first maximum in row-major order and maps units to image points', () => {
    // channel 0 (2×3): max 5 at (0,2) and (1,0): first in row-major is (0,2); channel 1 all equal: (0,0)
    const act = [1, 2, 5, 5, 0, 3, 7, 7, 7, 7, 7, 7];
    const p = channelPeaks(act, 0, 2, 2, 3);
    assert.deepEqual([p.row[0], p.col[0], p.value[0]], [0, 2, 5]);
    assert.deepEqual([p.row[1], p.col[1], p.value[1]], [0, 0, 7]);
    // Column-major ties (the ICNN code): channel 0's 5s at (0,2) and (1,0) → (1,0) comes first.
    const q = channelPeaks(act, 0, 2, 2, 3, 'column');
    assert.deepEqual([q.row[0], q.col[0], q.value[0]], [1, 0, 5]);
    assert.deepEqual(unitCenter(1, 2, 2, 3, 60, 40), [(2.5 * 60) / 3, (1.5 * 40) / 2]);
    assert.deepEqual(fieldCenter({ stride: [2, 4], start: [-1, -3], size: [5, 7], global: false }, 1, 2), [-3 + 8 + 3.5, -1 + 2 + 2.5]);
  });
});

describe('location instability (default definition)', () => {
  const W = 30;
  const H = 40; // diagonal 50
  it('is the mean over landmarks of the population std of the normalised distance', () => {
    // filter 0: distances to "a" are 0, 10, 20 px → /50 → 0, 0.2, 0.4 → population std sqrt(((0.2)^2·2)/3)
    // landmark "b" seen only in image 2 → D = 0.
    const images = [img([0], [0], [1], { a: [0, 0] }), img([10], [0], [2], { a: [0, 0] }), img([0], [20], [3], { a: [0, 0], b: [5, 5] })];
    const r = locationInstability(images, { width: W, height: H });
    near(r.filters[0]?.instability ?? null, (Math.sqrt(0.08 / 3) + 0) / 2);
    assert.equal(r.filters[0]?.images, 3);
    near(r.instability, (Math.sqrt(0.08 / 3) + 0) / 2);
  });

  it('drops images whose maximum is ≤ 0, gives null below 2 images, averages non-null filters', () => {
    const images = [
      img([0, 0, 3], [0, 0, 4], [1, 0, 1], { a: [0, 0] }),
      img([30, 0, 0], [40, 0, 0], [1, -1, 1], { a: [0, 0] }),
      img([15, 9, 0], [20, 9, 0], [0, 1, 1], { a: [0, 0] }),
    ];
    const r = locationInstability(images, { width: W, height: H });
    // filter 0 counts images 0 and 1: d = 0 and 1 → std 0.5
    assert.deepEqual(r.filters[0], { filter: 0, instability: 0.5, images: 2 });
    assert.deepEqual(r.filters[1], { filter: 1, instability: null, images: 1 });
    // filter 2: d = 0.1, 0, 0 → std = sqrt(((0.1−1/30)^2 + 2(1/30)^2)/3)
    const m = 0.1 / 3;
    near(r.filters[2]?.instability ?? null, Math.sqrt(((0.1 - m) ** 2 + 2 * m * m) / 3));
    assert.equal(r.nullFilters, 1);
    near(r.instability, (0.5 + Math.sqrt(((0.1 - m) ** 2 + 2 * m * m) / 3)) / 2);
  });

  it('is null for the layer when every filter is null, and checks its options', () => {
    const r = locationInstability([img([0], [0], [1], { a: [0, 0] })], { width: W, height: H });
    assert.equal(r.instability, null);
    assert.equal(r.nullFilters, 1);
    assert.throws(
      () => locationInstability([], { width: 0, height: 4 }),
      (e) => isLucernaError(e, 'BAD_OPTION'),
    );
    assert.throws(
      () => locationInstability([], { width: 4, height: 4, protocol: 'icnn', selectRatio: 0 }),
      (e) => isLucernaError(e, 'BAD_OPTION'),
    );
  });
});

describe('location instability (ICNN protocol)', () => {
  it('keeps the top K images per landmark, uses the sample std and the most stable fraction', () => {
    // 4 images, filter values 4,3,2,1 → K=2 keeps images 0 and 1 (distances 0 and 0.2: sample std 0.2/√2·… )
    const images = [
      img([0, 0], [0, 0], [4, 1], { a: [0, 0] }),
      img([10, 30], [0, 40], [3, 2], { a: [0, 0] }),
      img([20, 0], [0, 0], [2, 3], { a: [0, 0] }),
      img([30, 0], [40, 0], [1, 4], { a: [0, 0] }),
    ];
    const r = locationInstability(images, { width: 30, height: 40, protocol: 'icnn', topImages: 2 });
    // filter 0: top 2 = images 0, 1 → d = 0, 0.2 → sample std = 0.2/√2
    near(r.filters[0]?.instability ?? null, 0.2 / Math.SQRT2);
    // filter 1: top 2 = images 3, 2 → d = 0, 0 → 0
    near(r.filters[1]?.instability ?? null, 0);
    near(r.instability, 0.2 / Math.SQRT2 / 2);
    const half = locationInstability(images, { width: 30, height: 40, protocol: 'icnn', topImages: 2, selectRatio: 0.5 });
    near(half.instability, 0);
  });

  it('gives null when any landmark has fewer than 2 images, and divides by the whole landmark list', () => {
    const images = [img([0], [0], [1], { a: [0, 0], b: [0, 0] }), img([10], [0], [1], { a: [0, 0] })];
    const r = locationInstability(images, { width: 30, height: 40, protocol: 'icnn' });
    assert.equal(r.filters[0]?.instability, null);
    const d = locationInstability([...images, img([0], [0], [1], { b: [0, 0] })], { width: 30, height: 40, protocol: 'icnn' });
    // a: 0, 0.2 → 0.2/√2; b: 0, 0 → 0; mean over 2 landmarks
    near(d.filters[0]?.instability ?? null, 0.2 / Math.SQRT2 / 2);
  });

  it('agrees with the default definition (times √(n/(n−1))) with K ≥ n, ratio 1, positive peaks and full landmarks', () => {
    const u = seededRandom(5);
    const n = 9;
    const images = Array.from({ length: n }, () =>
      img([u() * 30, u() * 30, u() * 30], [u() * 40, u() * 40, u() * 40], [u() + 0.1, u() + 0.1, u() + 0.1], {
        a: [u() * 30, u() * 40],
        b: [u() * 30, u() * 40],
      }),
    );
    const def = locationInstability(images, { width: 30, height: 40 });
    const icnn = locationInstability(images, { width: 30, height: 40, protocol: 'icnn', topImages: 100, selectRatio: 1 });
    const factor = Math.sqrt(n / (n - 1));
    for (const [i, f] of def.filters.entries()) near(icnn.filters[i]?.instability ?? null, (f.instability as number) * factor, 1e-12);
    near(icnn.instability, (def.instability as number) * factor, 1e-12);
  });

  it('rounds the selected count as Python does', () => {
    assert.deepEqual([0.5, 1.5, 2.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, 2, 3]);
  });
});
