import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultShapleySamples, kernelShap, SHAPLEY_BUDGET_DIVISOR, shapleySamplesText } from '../../src/attribution/perturbation/kernel-shap.js';
import { functionScorer } from '../../src/attribution/perturbation/scorer.js';
import { permutationWalks, walkPairs, walkShapley } from '../../src/attribution/perturbation/shapley-permutations.js';
import { isLucernaError } from '../../src/errors.js';
import { seededRandom } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { bit, bruteShapley, scoreWalks } from '../helpers/shapley-games.js';
import { detail } from '../helpers/superpixel-fixtures.js';

/** A game with main effects and pairwise interactions only (no third-order terms). */
const pairwise = (s: number) => 2 * bit(s, 0) - bit(s, 3) + 3 * bit(s, 1) * bit(s, 2) - 4 * bit(s, 0) * bit(s, 6) + 0.5 * bit(s, 4) * bit(s, 5) + 1.5;
/** A game with interactions up to order four. */
const rich = (s: number) => pairwise(s) + 5 * bit(s, 0) * bit(s, 1) * bit(s, 2) - 3 * bit(s, 3) * bit(s, 4) * bit(s, 5) * bit(s, 6) + Math.sin(s);

describe('antithetic permutation walks', () => {
  it('lays out the empty coalition, then each walk and its reverse (complements), growing one player at a time', () => {
    const walks = permutationWalks(5, 2, 7);
    const { z, count } = walks.set;
    assert.equal(count, 1 + 2 * 2 * 4);
    assert.deepEqual([...z.subarray(0, 5)], [0, 0, 0, 0, 0]);
    for (let p = 0; p < 2; p++) {
      const forward = 1 + p * 8;
      const reverse = forward + 4;
      for (let t = 0; t < 4; t++) {
        const row = [...z.subarray((forward + t) * 5, (forward + t + 1) * 5)];
        assert.equal(
          row.reduce((a, b) => a + b, 0),
          t + 1,
        );
        // The reverse walk's coalition of size K − 1 − t is this one's complement.
        const back = [...z.subarray((reverse + 3 - t) * 5, (reverse + 4 - t) * 5)];
        assert.deepEqual(
          back,
          row.map((b) => 1 - b),
        );
      }
    }
    assert.deepEqual(permutationWalks(5, 2, 7).set.z, z, 'reproducible from the seed');
    assert.notDeepEqual(permutationWalks(5, 2, 8).set.z, z);
  });

  it('one antithetic pair gives the exact Shapley values of a game without third-order terms', () => {
    const want = bruteShapley(7, pairwise);
    for (const seed of [1, 2, 3]) {
      const walks = permutationWalks(7, 1, seed);
      const phi = walkShapley(walks, scoreWalks(walks, pairwise), pairwise(127));
      for (let i = 0; i < 7; i++) assert.ok(Math.abs((phi[i] as number) - (want[i] as number)) < 1e-12, `seed ${seed}, player ${i}`);
    }
  });

  it('is efficient for every budget, and converges to the brute-force values on a game with higher-order terms', () => {
    const want = bruteShapley(7, rich);
    const error = (pairs: number) => {
      const walks = permutationWalks(7, pairs, 5);
      const phi = walkShapley(walks, scoreWalks(walks, rich), rich(127));
      const total = phi.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - (rich(127) - rich(0))) < 1e-9, `Σφ with ${pairs} pairs`);
      return Math.max(...phi.map((v, i) => Math.abs(v - (want[i] as number))));
    };
    const coarse = error(1);
    const fine = error(4000);
    assert.ok(coarse > 1e-3, 'one pair is not exact here');
    assert.ok(fine < 0.05 * Math.max(...want.map(Math.abs)), `4,000 pairs: max error ${fine}`);
    assert.ok(fine < coarse / 5);
  });

  it("sets each estimator's default budget from one table: (2K + 2048) / 2, / 3 and / 1", () => {
    assert.deepEqual(SHAPLEY_BUDGET_DIVISOR, { regression: 1, permutation: 3, 'control-variate': 2 });
    assert.equal(defaultShapleySamples(44, 'control-variate'), 1068);
    assert.equal(walkPairs(44, defaultShapleySamples(44, 'control-variate')), 12);
    assert.equal(walkPairs(37, defaultShapleySamples(37, 'control-variate')), 14);
    assert.equal(defaultShapleySamples(44, 'permutation'), 712);
    assert.equal(shapleySamplesText(), '(2·segments + 2048) / 2 (permutation: (2·segments + 2048) / 3, regression: 2·segments + 2048)');
  });

  it('buys whole pairs from a budget, at least one, none for a single player', () => {
    assert.equal(walkPairs(44, defaultShapleySamples(44, 'permutation')), 8);
    assert.equal(defaultShapleySamples(44, 'regression'), 2136);
    assert.equal(walkPairs(5, 3), 1);
    assert.equal(walkPairs(5, 17), 2);
    assert.equal(walkPairs(1, 100), 0);
    const none = permutationWalks(1, 0, 1);
    assert.deepEqual([...walkShapley(none, [2], 5)], [3]);
  });
});

describe('KernelSHAP estimators', () => {
  const h = 4;
  const w = 14;
  const per = h * w;
  const next = seededRandom(3);
  const x: Tensor = { data: Float32Array.from({ length: per }, () => next() + 0.5), shape: [1, 1, h, w] };
  /** Seven features: columns 2k, 2k+1. A removed feature shows 0 (baseline zeros). */
  const featureOf = (j: number) => Math.floor((j % w) / 2);
  const mask = { data: Int32Array.from({ length: per }, (_, p) => featureOf(p)), shape: [h, w] };
  const present = (data: Float32Array, offset: number) => {
    let s = 0;
    for (let k = 0; k < 7; k++) if (data[offset + 2 * k] !== 0) s |= 1 << k;
    return s;
  };
  const scorer = functionScorer(async (batch) => Float32Array.from({ length: batch.shape[0] as number }, (_, i) => pairwise(present(batch.data, i * per))));
  const options = { scorer, featureMask: mask, baseline: 'zeros' as const, target: 0 };
  const want = bruteShapley(7, pairwise);

  it('permutation and regression both estimate the Shapley values; details name the estimator', async () => {
    const walks = await kernelShap.attribute(undefined, x, { ...options, samples: 24, seed: 4, estimator: 'permutation' });
    assert.deepEqual(detail<string[]>(walks, 'estimator'), ['permutation']);
    assert.deepEqual(detail<number[]>(walks, 'samples'), [24]);
    assert.deepEqual(detail<boolean[]>(walks, 'exact'), [false]);
    const phi = detail<Float64Array[]>(walks, 'weights')[0] as Float64Array;
    for (let k = 0; k < 7; k++) assert.ok(Math.abs((phi[k] as number) - (want[k] as number)) < 1e-5, `walks, feature ${k}`);
    const regression = await kernelShap.attribute(undefined, x, { ...options, samples: 200, seed: 4, estimator: 'regression' });
    assert.deepEqual(detail<string[]>(regression, 'estimator'), ['regression']);
    const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);
    const rphi = detail<Float64Array[]>(regression, 'weights')[0] as Float64Array;
    assert.ok(Math.abs(sum(rphi) - sum(phi)) < 1e-5, 'both efficient');
  });

  it('a budget that fits every coalition enumerates them with either estimator (exact)', async () => {
    for (const estimator of ['permutation', 'regression'] as const) {
      const r = await kernelShap.attribute(undefined, x, { ...options, samples: 126, estimator });
      assert.deepEqual(detail<boolean[]>(r, 'exact'), [true], estimator);
      assert.deepEqual(detail<string[]>(r, 'estimator'), ['regression']);
    }
  });

  it('rejects an unknown estimator with one line', async () => {
    await assert.rejects(
      kernelShap.attribute(undefined, x, { ...options, estimator: 'banzhaf' as never }),
      (e: unknown) => isLucernaError(e, 'BAD_OPTION') && /estimator must be permutation, control-variate or regression/.test(e.oneLine()),
    );
  });
});
