import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { balancedCoalitions, paleyPrimes, paleyRow, quadraticResidues } from '../../src/attribution/perturbation/balanced-design.js';
import { limeDesign, limeWeights } from '../../src/attribution/perturbation/lime.js';
import { weightedRidge } from '../../src/attribution/perturbation/regression.js';

/** How many rows in [from, to) have bit k on; and both k and l; and k, l and m. */
function counts(z: Uint8Array, features: number, from: number, to: number, cols: number[]): number {
  let n = 0;
  for (let r = from; r < to; r++) if (cols.every((k) => z[r * features + k] === 1)) n++;
  return n;
}

describe('Paley designs', () => {
  it('lists the primes p ≡ 3 (mod 4) and their quadratic residues', () => {
    assert.deepEqual(paleyPrimes(1, 50), [3, 7, 11, 19, 23, 31, 43, 47]);
    assert.deepEqual([...quadraticResidues(7)], [1, 1, 1, 0, 1, 0, 0]);
    assert.deepEqual([...paleyRow(quadraticResidues(7), 1)], [1, 1, 0, 1, 0, 0, 1]);
    assert.deepEqual([...paleyRow(quadraticResidues(7), 7)], [0, 0, 0, 0, 0, 0, 0]);
  });

  it('is an orthogonal array of strength 2 for every order used', () => {
    for (const p of [3, 7, 11, 43, 151]) {
      const residue = quadraticResidues(p);
      const rows = Array.from({ length: p + 1 }, (_, r) => paleyRow(residue, r));
      const z = new Uint8Array((p + 1) * p);
      for (const [r, row] of rows.entries()) z.set(row, r * p);
      for (let a = 0; a < p; a++) {
        assert.equal(counts(z, p, 0, p + 1, [a]), (p + 1) / 2, `p ${p}, column ${a}`);
        for (let b = a + 1; b < p; b++) assert.equal(counts(z, p, 0, p + 1, [a, b]), (p + 1) / 4, `p ${p}, columns ${a}, ${b}`);
      }
    }
  });
});

describe('balanced coalitions', () => {
  it('folded blocks are balanced in every column, pair and triple (strength 3)', () => {
    // 1 + 2 · 48: one folded block of order 48 (p = 47) over 20 of its 47 columns.
    const f = 20;
    const set = balancedCoalitions(f, 97, 5);
    assert.deepEqual([...set.z.subarray(0, f)], new Array(f).fill(1));
    for (let a = 0; a < f; a++) {
      assert.equal(counts(set.z, f, 1, 97, [a]), 48);
      for (let b = a + 1; b < f; b++) {
        assert.equal(counts(set.z, f, 1, 97, [a, b]), 24);
        for (let c = b + 1; c < f; c++) assert.equal(counts(set.z, f, 1, 97, [a, b, c]), 12, `${a} ${b} ${c}`);
      }
    }
    // Each row after the first is followed by its complement.
    for (let r = 1; r < 97; r += 2) for (let k = 0; k < f; k++) assert.equal((set.z[r * f + k] as number) + (set.z[(r + 1) * f + k] as number), 1);
  });

  it('is deterministic by seed, changes with it, and each row is fair coins across seeds', () => {
    assert.deepEqual(balancedCoalitions(44, 513, 3).z, balancedCoalitions(44, 513, 3).z);
    assert.notDeepEqual(balancedCoalitions(44, 513, 3).z, balancedCoalitions(44, 513, 4).z);
    // Row 1, bit 0 over 2,000 seeds: a fair coin (the flips randomise every fixed design row).
    let on = 0;
    const seeds = 2000;
    for (let s = 0; s < seeds; s++) on += balancedCoalitions(12, 5, s).z[12] as number;
    assert.ok(Math.abs(on / seeds - 0.5) < 0.04, `share ${on / seeds}`);
  });

  it('fills budgets of any size: partial blocks, more features than rows, one feature', () => {
    for (const [f, n] of [
      [44, 2],
      [44, 50],
      [100, 40],
      [1, 6],
      [5, 1000],
    ] as const) {
      const set = balancedCoalitions(f, n, 1);
      assert.equal(set.z.length, f * n);
      assert.ok(set.z.every((v) => v === 0 || v === 1));
    }
    // 1,000 rows over 5 features: whole blocks of order 500 (p = 499) are exactly balanced.
    const set = balancedCoalitions(5, 1001, 2);
    for (let a = 0; a < 5; a++) assert.equal(counts(set.z, 5, 1, 1001, [a]), 500);
  });
});

describe('LIME on a balanced design', () => {
  it('recovers a planted linear model exactly (hand-computed: 3 features, the full factorial)', () => {
    // 1 + 2 · 4 rows over 3 features: a folded Paley block of order 4 is all 8 on/off patterns.
    const set = limeDesign(3, 9, 7, 'balanced');
    const patterns = new Set<string>();
    for (let r = 1; r < 9; r++) patterns.add(set.z.subarray(r * 3, r * 3 + 3).join(''));
    assert.equal(patterns.size, 8);
    // y = 2 + 1·z0 − 3·z1 + 0.5·z2
    const y = Array.from({ length: 9 }, (_, r) => 2 + (set.z[r * 3] as number) - 3 * (set.z[r * 3 + 1] as number) + 0.5 * (set.z[r * 3 + 2] as number));
    const fit = weightedRidge({ rows: 9, cols: 3, data: set.z }, y, limeWeights(set, 0.25), { alpha: 0 });
    assert.deepEqual(
      [...fit.coef].map((c) => Math.round(c * 1e12) / 1e12),
      [1, -3, 0.5],
    );
    assert.ok(Math.abs(fit.intercept - 2) < 1e-12);
    assert.ok(Math.abs(fit.r2 - 1) < 1e-12);
  });

  it('on the full factorial, gives the exact (enumerated) LIME fit of a nonlinear score', () => {
    const set = limeDesign(3, 9, 11, 'balanced');
    const score = (z: ArrayLike<number>) => (z[0] as number) * (z[1] as number) * 4 - (z[2] as number) + 0.3 * (z[0] as number);
    const y = Array.from({ length: 9 }, (_, r) => score(set.z.subarray(r * 3, r * 3 + 3)));
    // The same rows, enumerated in binary order after the all-ones row.
    const z = new Uint8Array(27);
    z.fill(1, 0, 3);
    for (let m = 0; m < 8; m++) for (let k = 0; k < 3; k++) z[(m + 1) * 3 + k] = (m >> k) & 1;
    const enumerated = { z, count: 9, features: 3 };
    const yEnum = Array.from({ length: 9 }, (_, r) => score(z.subarray(r * 3, r * 3 + 3)));
    const a = weightedRidge({ rows: 9, cols: 3, data: set.z }, y, limeWeights(set, 0.25), { alpha: 1 });
    const b = weightedRidge({ rows: 9, cols: 3, data: z }, yEnum, limeWeights(enumerated, 0.25), { alpha: 1 });
    for (let k = 0; k < 3; k++) assert.ok(Math.abs((a.coef[k] as number) - (b.coef[k] as number)) < 1e-12, `coefficient ${k}`);
  });
});
