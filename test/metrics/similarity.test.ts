/**
 * Spearman rank correlation and SSIM against values worked out by hand (and scipy's definition of
 * tied ranks).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { averageRanks, pearson, spearman } from '../../src/metrics/spearman.js';
import { minMaxScaled, ssim } from '../../src/metrics/ssim.js';
import { meanAndError } from '../../src/metrics/stats.js';
import { normalTensor } from './fixtures.js';

describe('Spearman rank correlation', () => {
  it('ties share their average rank', () => {
    assert.deepEqual([...averageRanks([10, 30, 20, 20])], [1, 4, 2.5, 2.5]);
  });

  it('matches hand-computed values', () => {
    // ranks [1..4] vs [1, 2, 4, 3]: 1 − 6·Σd²/(n(n²−1)) = 1 − 6·2/60 = 0.8
    assert.ok(Math.abs(spearman([1, 2, 3, 4], [10, 20, 40, 30]) - 0.8) < 1e-12);
    assert.equal(spearman([1, 2, 3], [9, 5, 1]), -1);
    // Any monotone transform keeps the ranks.
    const a = Array.from(normalTensor([50], 1).data);
    assert.ok(
      Math.abs(
        spearman(
          a,
          a.map((v) => Math.exp(3 * v)),
        ) - 1,
      ) < 1e-12,
    );
    // With ties, Pearson of the average ranks: [1, 2, 3.5, 5, 3.5] against 1..5.
    assert.ok(Math.abs(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) - pearson([1, 2, 3, 4, 5], [1, 2, 3.5, 5, 3.5])) < 1e-12);
    assert.ok(Math.abs(pearson([1, 2, 3, 4, 5], [1, 2, 3.5, 5, 3.5]) - 0.8207826816681233) < 1e-12);
  });

  it('a constant map correlates with nothing', () => {
    assert.equal(spearman([1, 1, 1], [1, 2, 3]), 0);
  });
});

describe('SSIM', () => {
  const plane = (values: Float32Array) => ({ values, height: 16, width: 16 });
  const a = minMaxScaled(normalTensor([256], 2).data);

  it('is 1 for identical maps and lower for a different one', () => {
    assert.ok(Math.abs(ssim(plane(a), plane(a)) - 1) < 1e-6);
    const b = minMaxScaled(normalTensor([256], 3).data);
    const s = ssim(plane(a), plane(b));
    assert.ok(s < 0.3 && s > -0.3, `${s}`);
  });

  it('drops with noise, monotonically', () => {
    const noise = normalTensor([256], 4).data;
    const noisy = (k: number) => plane(a.map((v, i) => v + k * (noise[i] as number)));
    const s1 = ssim(plane(a), noisy(0.05));
    const s2 = ssim(plane(a), noisy(0.2));
    assert.ok(1 > s1 && s1 > s2, `${s1} ${s2}`);
  });

  it('min–max scaling and mean ± standard error', () => {
    assert.deepEqual([...minMaxScaled(Float32Array.of(2, 4, 6))], [0, 0.5, 1]);
    assert.deepEqual([...minMaxScaled(Float32Array.of(3, 3))], [0, 0]);
    const m = meanAndError([1, 2, 3, Number.NaN]);
    assert.equal(m.mean, 2);
    assert.equal(m.n, 3);
    assert.ok(Math.abs(m.stderr - 1 / Math.sqrt(3)) < 1e-12);
  });
});
