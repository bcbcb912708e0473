import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SHAPLEY_ESTIMATOR, defaultCoalitions, kernelShap } from '../../src/attribution/perturbation/kernel-shap.js';
import { functionScorer } from '../../src/attribution/perturbation/scorer.js';
import { connectedTriples, controlVariateShapley, superpixelAdjacency } from '../../src/attribution/perturbation/shapley-control-variates.js';
import { permutationWalks, walkPairs, walkShapley } from '../../src/attribution/perturbation/shapley-permutations.js';
import { isLucernaError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { bit, bruteShapley, scoreWalks } from '../helpers/shapley-games.js';
import { detail } from '../helpers/superpixel-fixtures.js';

const all = (s: number, t: readonly number[]) => (t.every((i) => bit(s, i) === 1) ? 1 : 0);

/** Nine players on a 3 × 3 grid (labels of a 3 × 3 image, one pixel each). */
const grid = { labels: Int32Array.from({ length: 9 }, (_, i) => i), count: 9, height: 3, width: 3 };
const edges = superpixelAdjacency(grid);
const triples = connectedTriples(9, edges);
/** Main effects, pairwise terms and order-3 terms on connected triples only: inside the surrogate's span. */
const inSpan = (s: number) =>
  2 * bit(s, 0) -
  bit(s, 4) +
  0.5 * bit(s, 8) +
  3 * bit(s, 1) * bit(s, 2) -
  2 * bit(s, 3) * bit(s, 7) +
  4 * all(s, [0, 1, 2]) -
  3 * all(s, [1, 4, 7]) +
  2.5 * all(s, [4, 5, 8]) +
  1;
/** Adds terms the surrogate does not have: a triple that is not connected, an order-4 term and a non-polynomial part. */
const outside = (s: number) => inSpan(s) + 5 * all(s, [0, 4, 8]) - 2 * all(s, [1, 3, 5, 7]) + Math.sin(s);

describe('superpixel adjacency and connected triples', () => {
  it('lists the 4-neighbour pairs of a label grid once each, and the triples they connect', () => {
    assert.deepEqual(superpixelAdjacency({ labels: Int32Array.from([0, 0, 1, 2, 2, 1]), count: 3, height: 2, width: 3 }), [
      [0, 1],
      [0, 2],
      [1, 2],
    ]);
    assert.equal(edges.length, 12);
    assert.deepEqual(
      connectedTriples(4, [
        [0, 1],
        [1, 2],
        [2, 3],
      ]),
      [
        [0, 1, 2],
        [1, 2, 3],
      ],
    );
    // A triangle is one triple, however many of its vertices are centres.
    assert.deepEqual(
      connectedTriples(3, [
        [0, 1],
        [1, 2],
        [0, 2],
      ]),
      [[0, 1, 2]],
    );
  });
});

describe('controlVariateShapley', () => {
  it('recovers a game inside its span exactly from any seed (no variance left), where the walks alone vary', () => {
    const want = bruteShapley(9, inSpan);
    let walksWorst = 0;
    for (const seed of [1, 2, 3, 4]) {
      const walks = permutationWalks(9, 12, seed);
      const scores = scoreWalks(walks, inSpan);
      const phi = controlVariateShapley(walks, scores, inSpan(511), triples, 1e-9);
      for (let i = 0; i < 9; i++) assert.ok(Math.abs((phi[i] as number) - (want[i] as number)) < 1e-6, `seed ${seed}, player ${i}: ${phi[i]} vs ${want[i]}`);
      const plain = walkShapley(walks, scores, inSpan(511));
      for (let i = 0; i < 9; i++) walksWorst = Math.max(walksWorst, Math.abs((plain[i] as number) - (want[i] as number)));
    }
    assert.ok(walksWorst > 0.1, `the plain walks are not exact on order-3 terms (worst error ${walksWorst})`);
  });

  it('is unbiased on a game with terms outside its span, and efficient in every sample', () => {
    const want = bruteShapley(9, outside);
    const runs = 300;
    const mean = new Float64Array(9);
    const sq = new Float64Array(9);
    for (let seed = 1; seed <= runs; seed++) {
      const walks = permutationWalks(9, 4, seed);
      const scores = scoreWalks(walks, outside);
      const phi = controlVariateShapley(walks, scores, outside(511), triples);
      const sum = phi.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - (outside(511) - outside(0))) < 1e-9, `efficiency, seed ${seed}`);
      for (let i = 0; i < 9; i++) {
        mean[i] = (mean[i] as number) + (phi[i] as number) / runs;
        sq[i] = (sq[i] as number) + (phi[i] as number) ** 2 / runs;
      }
    }
    for (let i = 0; i < 9; i++) {
      const se = Math.sqrt(((sq[i] as number) - (mean[i] as number) ** 2) / (runs - 1));
      assert.ok(Math.abs((mean[i] as number) - (want[i] as number)) < 4 * se + 1e-9, `player ${i}: mean ${mean[i]} vs ${want[i]} (s.e. ${se})`);
    }
  });

  it('falls back to the plain walks with one pair or no triple', () => {
    const walks = permutationWalks(9, 1, 5);
    const scores = scoreWalks(walks, outside);
    assert.deepEqual([...controlVariateShapley(walks, scores, outside(511), triples)], [...walkShapley(walks, scores, outside(511))]);
    const more = permutationWalks(9, 3, 5);
    const s3 = scoreWalks(more, outside);
    assert.deepEqual([...controlVariateShapley(more, s3, outside(511), [])], [...walkShapley(more, s3, outside(511))]);
  });
});

describe('KernelSHAP with the control-variate estimator', () => {
  // A 3 × 3 feature grid of 2 × 2 pixel blocks (6 × 6 image); a removed block shows 0.
  const x: Tensor = { data: Float32Array.from({ length: 36 }, (_, p) => 0.5 + (p % 7) / 10), shape: [1, 1, 6, 6] };
  const featureOf = (p: number) => Math.floor(Math.floor(p / 6) / 2) * 3 + Math.floor((p % 6) / 2);
  const mask = { data: Int32Array.from({ length: 36 }, (_, p) => featureOf(p)), shape: [6, 6] };
  const present = (data: Float32Array, offset: number) => {
    let s = 0;
    for (let k = 0; k < 9; k++) if (data[offset + Math.floor(k / 3) * 12 + (k % 3) * 2] !== 0) s |= 1 << k;
    return s;
  };
  const scorer = functionScorer(async (batch) => Float32Array.from({ length: batch.shape[0] as number }, (_, i) => inSpan(present(batch.data, i * 36))));
  const options = { scorer, featureMask: mask, baseline: 'zeros' as const, target: 0 };

  it('uses the feature mask as the superpixels, names the estimator, and is efficient', async () => {
    const r = await kernelShap.attribute(undefined, x, { ...options, samples: 96, seed: 2, estimator: 'control-variate' });
    assert.deepEqual(detail<string[]>(r, 'estimator'), ['control-variate']);
    assert.deepEqual(detail<number[]>(r, 'samples'), [96]);
    const phi = detail<Float64Array[]>(r, 'weights')[0] as Float64Array;
    const want = bruteShapley(9, inSpan);
    const sum = phi.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - (inSpan(511) - inSpan(0))) < 1e-4, 'efficiency');
    // Default ridge: not exact, but far closer than the walks' worst case on the same rows.
    const walks = await kernelShap.attribute(undefined, x, { ...options, samples: 96, seed: 2, estimator: 'permutation' });
    const err = (p: Float64Array) => p.reduce((a, v, i) => a + (v - (want[i] as number)) ** 2, 0);
    assert.ok(err(phi) < err(detail<Float64Array[]>(walks, 'weights')[0] as Float64Array), 'closer than the plain walks');
  });

  it('rejects an unknown estimator in one line', async () => {
    await assert.rejects(
      kernelShap.attribute(undefined, x, { ...options, estimator: 'controlled' as never }),
      (e: unknown) => isLucernaError(e) && /permutation, control-variate or regression/.test((e as Error).message) && !(e as Error).message.includes('\n'),
    );
  });

  it("is the default, at half the regression's budget: K = 12 → ⌊(2·12 + 2048) / 2⌋ = 1,036 → 47 pairs, 1,034 scores", async () => {
    // A 3 × 4 grid of 2 × 2 blocks (6 × 8 image): 2^12 − 2 coalitions exceed the budget, so the walks run.
    const wide: Tensor = { data: Float32Array.from({ length: 48 }, (_, p) => 0.5 + (p % 5) / 10), shape: [1, 1, 6, 8] };
    const block = (p: number) => Math.floor(Math.floor(p / 8) / 2) * 4 + Math.floor((p % 8) / 2);
    const wideMask = { data: Int32Array.from({ length: 48 }, (_, p) => block(p)), shape: [6, 8] };
    const game = (d: Float32Array, o: number) => {
      let v = 0;
      for (let k = 0; k < 12; k++) if (d[o + Math.floor(k / 4) * 16 + (k % 4) * 2] !== 0) v += (k + 1) * (k % 3 === 0 ? 2 : 1);
      return Math.sqrt(v);
    };
    const wideScorer = functionScorer(async (batch) => Float32Array.from({ length: batch.shape[0] as number }, (_, i) => game(batch.data, i * 48)));
    const wideOptions = { scorer: wideScorer, featureMask: wideMask, baseline: 'zeros' as const, target: 0, seed: 3 };
    const r = await kernelShap.attribute(undefined, wide, wideOptions);
    assert.equal(DEFAULT_SHAPLEY_ESTIMATOR, 'control-variate');
    assert.deepEqual(detail<string[]>(r, 'estimator'), ['control-variate']);
    assert.equal(walkPairs(12, Math.floor(defaultCoalitions(12) / 2)), 47);
    assert.deepEqual(detail<number[]>(r, 'samples'), [2 * 47 * 11]);
    const explicit = await kernelShap.attribute(undefined, wide, { ...wideOptions, estimator: 'control-variate', samples: 1036 });
    assert.deepEqual([...(detail<Float64Array[]>(r, 'weights')[0] as Float64Array)], [...(detail<Float64Array[]>(explicit, 'weights')[0] as Float64Array)]);
  });
});
