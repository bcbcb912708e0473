import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertFinite, firstNonFinite } from '../../src/tensor/tensor.js';

/** The plain scan firstNonFinite must agree with. */
function plainScan(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i] as number)) return i;
  return -1;
}

describe('firstNonFinite (block screen)', () => {
  it('finds nothing in finite data, extremes and signed zeros included', () => {
    const data = Float32Array.from({ length: 10_003 }, (_, i) => (i % 3 === 0 ? -0 : i % 2 ? 3.4e38 : -3.4e38));
    data[17] = 1.4e-45;
    assert.equal(firstNonFinite(data), -1);
    assert.equal(firstNonFinite(new Float32Array(0)), -1);
  });

  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    it(`finds ${bad} wherever it is: block edges, the unrolled tail, the last value`, () => {
      const n = 3 * 4096 + 7;
      for (const at of [0, 1, 2, 3, 4095, 4096, 4097, 8191, 3 * 4096 + 4, n - 1]) {
        const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1e30);
        data[at] = bad;
        assert.equal(firstNonFinite(data), at, `${bad} at ${at}`);
      }
    });
  }

  it('returns the first of several, as a plain scan does', () => {
    const data = new Float32Array(20_000).fill(1);
    data[12_345] = Number.POSITIVE_INFINITY;
    data[5_000] = Number.NaN;
    data[5_001] = Number.NEGATIVE_INFINITY;
    assert.equal(firstNonFinite(data), plainScan(data));
    assert.equal(firstNonFinite(data), 5_000);
  });

  it('assertFinite names the value and its index', () => {
    const data = new Float32Array(2 * 3 * 4).fill(0.5);
    data[13] = Number.NaN;
    assert.throws(() => assertFinite({ data, shape: [2, 3, 4] }, 'Baseline'), /Baseline contains NaN at index \[1, 0, 1\]/);
  });
});
