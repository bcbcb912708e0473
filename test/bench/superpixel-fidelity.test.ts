import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limeFit, pairedDifference, pooledLimeSamples, tQuantile975 } from '../../bench/superpixel-fidelity.js';
import { measureDifference, measureMeans, pairedFidelity } from '../../bench/superpixel-paired.js';
import { functionScorer } from '../../src/attribution/perturbation/scorer.js';
import { seededRandom } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';

describe('superpixel fidelity check: statistics', () => {
  it("Student's t quantile matches tabulated values", () => {
    // scipy.stats.t.ppf(0.975, df)
    for (const [df, t] of [
      [3, 3.182446],
      [5, 2.570582],
      [19, 2.093024],
      [59, 2.000995],
    ] as const)
      assert.ok(Math.abs(tQuantile975(df) - t) < (df < 5 ? 4e-3 : 1e-3), `df ${df}: ${tQuantile975(df)}`);
  });

  it('paired difference: mean and a t interval of the per-pair differences', () => {
    const a = [0, 0, 0, 0, 0, 0];
    const d = pairedDifference(a, [1, 2, 3, 4, 5, 6]);
    assert.ok(Math.abs(d.mean - 3.5) < 1e-12);
    // sd 1.8708, t(5) 2.5706, n 6: half-width 1.9633
    assert.ok(Math.abs(d.high - d.mean - 1.9633) < 5e-3 && Math.abs(d.mean - d.low - 1.9633) < 5e-3);
    const same = pairedDifference([0.5, 0.7, 0.9], [0.5, 0.7, 0.9]);
    assert.deepEqual([same.mean, same.low, same.high], [0, 0, 0]);
  });

  it('pooled LIME samples keep the unperturbed row once and every other row of every run', () => {
    const run = (rows: number[][], scores: number[]) => ({
      set: { z: Uint8Array.from(rows.flat()), count: rows.length, features: 2 },
      scores: Float64Array.from(scores),
    });
    const a = run(
      [
        [1, 1],
        [0, 1],
        [1, 0],
      ],
      [5, 2, 3],
    );
    const b = run(
      [
        [1, 1],
        [0, 0],
      ],
      [5, 0],
    );
    const p = pooledLimeSamples([a, b]);
    assert.equal(p.set.count, 4);
    assert.deepEqual([...p.set.z], [1, 1, 0, 1, 1, 0, 0, 0]);
    assert.deepEqual([...p.scores], [5, 2, 3, 0]);
    assert.deepEqual(limeFit(pooledLimeSamples([a])), limeFit(a));
  });
});

describe('superpixel fidelity check: paired runs', () => {
  // An additive black box: class 0 is a fixed weighting of the pixels, so every setting of both
  // methods recovers each image's superpixel contributions and agrees with its reference. Two
  // images with different contributions: a reference taken from the wrong image would not agree.
  const size = 16;
  const next = seededRandom(3);
  const w = Float32Array.from({ length: 3 * size * size }, () => next() - 0.5);
  const image = (phase: number): Tensor => ({
    data: Float32Array.from({ length: 3 * size * size }, (_, i) => Math.sin((i % (size * size)) / (7 + phase) + phase) * 0.5 + 0.5),
    shape: [1, 3, size, size],
  });
  const scorer = functionScorer(async (batch) => {
    const n = batch.shape[0] as number;
    const per = w.length;
    return Array.from({ length: n }, (_, r) => {
      let s = 0;
      for (let j = 0; j < per; j++) s += (batch.data[r * per + j] as number) * (w[j] as number);
      return [s, s - 1];
    });
  });

  it('agrees with the leave-one-out references on every image and seed, and differences are near 0', async () => {
    const { pairs, features } = await pairedFidelity(undefined, [image(0), image(2)], [1, 2, 3], { scorer });
    assert.equal(features.length, 2);
    for (const pair of pairs) {
      for (const s of [pair.earlier, pair.current]) {
        assert.equal(s.agreement.length, 2);
        assert.equal(s.wall.length, 6);
        const rho = measureMeans(s, 'spearman');
        assert.ok(rho.all > 0.98, `${pair.method} ${s.label}: ${rho.all}`);
      }
      const d = measureDifference(pair, 'spearman');
      assert.ok(d.low <= d.mean && d.mean <= d.high && Math.abs(d.mean) < 0.02, `${pair.method}: ${JSON.stringify(d)}`);
    }
  });
});
