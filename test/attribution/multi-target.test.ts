/**
 * Defect 9: occlusion and RISE with several targets for one image (a batch repeating the image, as
 * `lucerna explain` sends it) score every target from the same perturbation passes, instead of
 * one full pass per target, and give exactly the single-target maps.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { occlude } from '../../src/attribution/perturbation/occlusion.js';
import { riseSaliency } from '../../src/attribution/perturbation/rise.js';
import { groupIdenticalSamples } from '../../src/attribution/perturbation/runner.js';
import { functionScorer } from '../../src/attribution/perturbation/scorer.js';
import { concatBatch, sliceBatch, type Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/compare.js';

/** A 3-class black box over [1, 8, 8] samples that counts the rows it scores. */
function countingScorer() {
  let rows = 0;
  const scorer = functionScorer(
    async (batch) =>
      Array.from({ length: batch.shape[0] as number }, (_, r) => {
        rows++;
        const s = batch.data.subarray(r * 64, (r + 1) * 64);
        let a = 0;
        let b = 0;
        let c = 0;
        for (let k = 0; k < 64; k++) {
          const v = s[k] as number;
          a += k % 8 < 4 ? v : 0;
          b += k < 32 ? v * v : 0;
          c += (k % 3) * v;
        }
        return [a, b, c];
      }),
    { batchSize: 7 },
  );
  return { scorer, rows: () => rows };
}

const x: Tensor = { data: Float32Array.from({ length: 64 }, (_, k) => ((k * 37) % 11) / 10), shape: [1, 1, 8, 8] };
const twice = concatBatch([x, x]);

describe('several targets share the perturbation passes (defect 9)', () => {
  it('groups identical samples', () => {
    const other: Tensor = { data: new Float32Array(64), shape: [1, 1, 8, 8] };
    assert.deepEqual(groupIdenticalSamples(concatBatch([x, x, other, x])), { representatives: [0, 2], members: [[0, 1, 3], [2]] });
  });

  for (const [name, run, passes] of [
    [
      'occlusion',
      (s: ReturnType<typeof countingScorer>['scorer'], input: Tensor, target: number | number[]) =>
        occlude(s, input, { window: [1, 4, 4], strides: [1, 2, 2], target }),
      9,
    ],
    [
      'rise',
      (s: ReturnType<typeof countingScorer>['scorer'], input: Tensor, target: number | number[]) =>
        riseSaliency(s, input, { masks: 20, cell: 4, seed: 3, target }),
      20,
    ],
  ] as const) {
    it(`${name}: two targets cost one pass and equal the single-target maps`, async () => {
      const both = countingScorer();
      const r = await run(both.scorer, twice, [0, 2]);
      assert.equal(r.details?.forwardPasses, passes);
      assert.equal(both.rows(), passes + 2, 'one pass of perturbations plus the two unperturbed rows');
      for (const [i, target] of [0, 2].entries()) {
        const single = await run(countingScorer().scorer, x, target);
        assertClose(sliceBatch(r.attribution, i, 1), single.attribution, 1e-6, `${name} target ${target}`);
      }
    });
  }
});
