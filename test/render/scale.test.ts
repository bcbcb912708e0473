/**
 * Display scaling: signs, percentile ranges (robust to outliers), shared ranges, fixed ranges,
 * positions with clipping, and the value formatting used on colour bars.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatValue } from '../../src/render/report/format.js';
import { describeRange, displayRange, fixedRange, positions, sharedDisplayRange, signedValues } from '../../src/render/scale.js';

const values = Float32Array.from([-4, -1, 0, 2, 3]);

describe('signedValues', () => {
  it('shows the positive part, the negative magnitude, |a| or a itself', () => {
    assert.deepEqual([...signedValues(values, 'positive')], [0, 0, 0, 2, 3]);
    assert.deepEqual([...signedValues(values, 'negative')], [4, 1, 0, 0, 0]);
    assert.deepEqual([...signedValues(values, 'absolute')], [4, 1, 0, 2, 3]);
    assert.deepEqual([...signedValues(values, 'all')], [-4, -1, 0, 2, 3]);
  });

  it('rejects an unknown sign', () => {
    assert.throws(() => signedValues(values, 'both' as never), /Unknown sign "both"/);
  });
});

describe('displayRange', () => {
  it('takes the q-th percentile of the shown values (NumPy linear interpolation)', () => {
    const ramp = Float32Array.from({ length: 101 }, (_, i) => i); // 0..100: the q-th percentile is q
    assert.deepEqual(displayRange(ramp, { sign: 'positive', percentile: 90 }), { sign: 'positive', lo: 0, hi: 90, source: 'percentile', percentile: 90 });
    assert.equal(displayRange(ramp, { sign: 'positive' }).hi, 99);
  });

  it('is symmetric for sign all, from the percentile of |a|', () => {
    const r = displayRange(values, { sign: 'all', percentile: 100 });
    assert.deepEqual([r.lo, r.hi], [-4, 4]);
  });

  it('uses only the negative part for sign negative', () => {
    assert.equal(displayRange(values, { sign: 'negative', percentile: 100 }).hi, 4);
    assert.equal(displayRange(values, { sign: 'positive', percentile: 100 }).hi, 3);
  });

  it('is robust to an outlier: one huge value does not set the scale', () => {
    const data = Float32Array.from({ length: 1000 }, (_, i) => (i === 500 ? 1e6 : (i % 10) / 10));
    const r = displayRange(data, { sign: 'positive', percentile: 99 });
    assert.ok(r.hi < 1, `hi ${r.hi} ignores the outlier`);
    assert.ok(r.hi >= 0.9 - 1e-6, `hi ${r.hi} covers the bulk`);
  });

  it('can start a one-sided range at a low percentile (robust min–max)', () => {
    const offset = Float32Array.from({ length: 101 }, (_, i) => 10 + i / 100);
    const r = displayRange(offset, { sign: 'positive', floor: 'percentile', lowPercentile: 1, percentile: 99 });
    assert.ok(Math.abs(r.lo - 10.01) < 1e-5 && Math.abs(r.hi - 10.99) < 1e-5, JSON.stringify(r));
    assert.equal(r.lowPercentile, 1);
  });

  it('rejects a percentile outside [0, 100]', () => {
    assert.throws(() => displayRange(values, { sign: 'all', percentile: 120 }), /percentile must be in \[0, 100\]/);
  });
});

describe('sharedDisplayRange', () => {
  it('takes the percentile over all maps together, so the weaker map keeps its smaller magnitude', () => {
    const strong = Float32Array.from([0, 10]);
    const weak = Float32Array.from([0, 1]);
    const shared = sharedDisplayRange([strong, weak], { sign: 'positive', percentile: 100 });
    assert.deepEqual([shared.lo, shared.hi, shared.source], [0, 10, 'shared-percentile']);
    const own = displayRange(weak, { sign: 'positive', percentile: 100 });
    assert.equal(own.hi, 1);
    // The same value lands on the same colour position in both maps under the shared range.
    assert.equal(positions(Float32Array.from([1]), shared).t[0], Math.fround(0.1));
    assert.equal(positions(Float32Array.from([1]), own).t[0], 1);
  });
});

describe('fixedRange and positions', () => {
  it('maps [lo, hi] to [0, 1], clips beyond and counts the clipped values', () => {
    const r = fixedRange('all', 2);
    assert.deepEqual([r.lo, r.hi, r.source], [-2, 2, 'fixed']);
    const { t, clipped } = positions(Float32Array.from([-3, -2, 0, 1, 2, 5]), r);
    assert.deepEqual([...t], [0, 0, 0.5, 0.75, 1, 1]);
    assert.equal(clipped, 2);
  });

  it('puts a constant map at the bottom, or the centre for signed maps, instead of dividing by zero', () => {
    assert.deepEqual([...positions(Float32Array.from([0, 0]), fixedRange('positive', 0)).t], [0, 0]);
    assert.deepEqual([...positions(Float32Array.from([0, 0]), fixedRange('all', 0)).t], [0.5, 0.5]);
  });

  it('rejects negative or inverted scales', () => {
    assert.throws(() => fixedRange('positive', -1), /finite number ≥ 0/);
    assert.throws(() => fixedRange('positive', 1, 2), /≤ its top/);
  });
});

describe('formatValue and describeRange', () => {
  it('formats 3 significant digits, exponents for tiny and huge values', () => {
    assert.equal(formatValue(0), '0');
    assert.equal(formatValue(12.3456), '12.3');
    assert.equal(formatValue(-0.5), '-0.5');
    assert.equal(formatValue(0.000123456), '1.23e-4');
    assert.equal(formatValue(2.5e7), '2.5e7');
  });

  it('states the sign, the real values and how the range was found', () => {
    assert.equal(describeRange({ sign: 'all', lo: -0.02, hi: 0.02, source: 'percentile', percentile: 99 }), 'signed, ±0.02 (99th percentile of |a|)');
    assert.equal(
      describeRange({ sign: 'positive', lo: 0, hi: 3, source: 'shared-percentile', percentile: 98 }),
      'positive part, 0 to 3 (shared 98th percentile of max(a, 0))',
    );
    assert.equal(describeRange(fixedRange('absolute', 1)), '|a|, 0 to 1 (fixed scale)');
    assert.match(describeRange({ sign: 'positive', lo: 1, hi: 3, source: 'percentile', percentile: 99, lowPercentile: 1 }), /floor at the 1st/);
  });
});
