/**
 * Coalitions are filled run by run (issue #12, defect 12: about 6% less CPU time for LIME on the
 * bundled model): the perturbed inputs are exactly the per-pixel definition, x where the pixel's
 * superpixel is kept and the baseline elsewhere.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { functionScorer } from '../../src/attribution/perturbation/scorer.js';
import { type CoalitionSet, prepareSuperpixels, segmentRuns } from '../../src/attribution/perturbation/superpixel-sampling.js';
import { scoreCoalitions } from '../../src/attribution/perturbation/superpixel-scoring.js';
import { seededRandom } from '../../src/tensor/random.js';

describe('superpixel coalition filling', () => {
  it('segmentRuns groups maximal same-label intervals by label', () => {
    const runs = segmentRuns({ labels: Int32Array.of(0, 0, 1, 0, 2, 2, 1, 1, 0), count: 3, height: 3, width: 3 });
    assert.deepEqual([...runs.offsets], [0, 3, 5, 6]);
    assert.deepEqual([...runs.starts], [0, 3, 8, 2, 6, 4]);
    assert.deepEqual([...runs.ends], [2, 4, 9, 3, 8, 6]);
  });

  it('every scored input equals the per-pixel definition, for mostly-kept and mostly-removed coalitions', async () => {
    const [n, c, h, w] = [2, 3, 7, 9];
    const next = seededRandom(5);
    const x = { data: Float32Array.from({ length: n * c * h * w }, () => next()), shape: [n, c, h, w] };
    const mask = { data: Int32Array.from({ length: n * h * w }, () => Math.floor(next() * 5)), shape: [n, 1, h, w] };
    const seen: Float32Array[] = [];
    const scorer = functionScorer(
      async (batch) => {
        for (let r = 0; r < (batch.shape[0] as number); r++) seen.push(batch.data.slice(r * c * h * w, (r + 1) * c * h * w));
        return { data: new Float32Array((batch.shape[0] as number) * 2), shape: [batch.shape[0] as number, 2] };
      },
      { batchSize: 3 },
    );
    const problem = await prepareSuperpixels(undefined, x, { scorer, featureMask: mask }, 'test');
    seen.length = 0;
    const sets: CoalitionSet[] = problem.segmentations.map((s) => {
      const count = 12;
      return { z: Uint8Array.from({ length: count * s.count }, () => (next() < 0.5 ? 1 : 0)), count, features: s.count };
    });
    await scoreCoalitions(problem, sets, {});
    let row = 0;
    sets.forEach((set, i) => {
      const labels = (problem.segmentations[i] as { labels: Int32Array }).labels;
      for (let r = 0; r < set.count; r++, row++) {
        const expected = new Float32Array(c * h * w);
        for (let ch = 0; ch < c; ch++) {
          for (let p = 0; p < h * w; p++) {
            const src = set.z[r * set.features + (labels[p] as number)] ? x.data : problem.baseline.data;
            expected[ch * h * w + p] = src[(i * c + ch) * h * w + p] as number;
          }
        }
        assert.deepEqual(seen[row], expected, `sample ${i}, coalition ${r}`);
      }
    });
    assert.equal(row, seen.length);
  });
});
