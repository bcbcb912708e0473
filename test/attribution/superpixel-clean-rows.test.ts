/**
 * LIME's and KernelSHAP's clean pass rides in the first batch of coalitions (issue #12, defect 12):
 * no padded batch of its own, the same targets and scores as a separate clean pass, the same maps.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kernelShap } from '../../src/attribution/perturbation/kernel-shap.js';
import { DEFAULT_LIME_SAMPLES, lime, limeDesign, scoreLimeSets } from '../../src/attribution/perturbation/lime.js';
import { functionScorer } from '../../src/attribution/perturbation/scorer.js';
import { type CoalitionSet, prepareSuperpixels, setupSuperpixels } from '../../src/attribution/perturbation/superpixel-sampling.js';
import { scoreWithCleanRows, withCleanRow, withLeadingRows } from '../../src/attribution/perturbation/superpixel-scoring.js';
import { isLucernaError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const [n, c, h, w] = [2, 3, 8, 8];
const x: Tensor = { data: Float32Array.from({ length: n * c * h * w }, (_, i) => Math.sin(i * 0.37) ** 2), shape: [n, c, h, w] };
/** Four 4×4 quadrants: superpixels 0–3. */
const featureMask = { data: Int32Array.from({ length: h * w }, (_, p) => 2 * Math.floor(p / w / 4) + Math.floor((p % w) / 4)), shape: [h, w] };

/** A deterministic black box with 3 classes that records each batch's row count. */
function recording(batchSize: number): { scorer: ReturnType<typeof functionScorer>; batches: number[] } {
  const batches: number[] = [];
  const scorer = functionScorer(
    async (batch) => {
      const rows = batch.shape[0] as number;
      batches.push(rows);
      const per = c * h * w;
      const out = new Float32Array(rows * 3);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let j = 0; j < per; j++) s += (batch.data[r * per + j] as number) * ((j % 7) - 3);
        out.set([s, -s, s * s * 0.01], r * 3);
      }
      return { data: out, shape: [rows, 3] };
    },
    { batchSize },
  );
  return { scorer, batches };
}

describe('the clean pass in the first batch of coalitions', () => {
  it('LIME at its default scores exactly 16 full batches of 32: no padded clean batch', async () => {
    assert.equal(DEFAULT_LIME_SAMPLES, 512);
    const { scorer, batches } = recording(32);
    const one: Tensor = { data: x.data.subarray(0, c * h * w), shape: [1, c, h, w] };
    await lime.attribute(undefined, one, { scorer, featureMask });
    assert.deepEqual(batches, new Array(16).fill(32));
  });

  it('gives the targets, clean scores and LIME weights of a separate clean pass', async () => {
    for (const target of [undefined, 2, [1, 0]] as const) {
      const options = { featureMask, target: target as number | number[] | undefined };
      const separate = await prepareSuperpixels(undefined, x, { ...options, scorer: recording(5).scorer }, 'LIME');
      const sets = separate.segmentations.map((s) => limeDesign(s.count, 40, 3, 'balanced'));
      const expected = await scoreLimeSets(separate, sets, {});
      const { problem, scores } = await scoreWithCleanRows(setupSuperpixels(undefined, x, { ...options, scorer: recording(5).scorer }, 'LIME'), sets, options);
      assert.deepEqual(problem.context.targets, separate.context.targets, `targets (${target})`);
      assert.deepEqual(problem.context.scores, separate.context.scores);
      assert.deepEqual([...problem.context.clean.data], [...separate.context.clean.data]);
      assert.deepEqual(scores, expected);
    }
    const argmax = (await prepareSuperpixels(undefined, x, { featureMask, scorer: recording(5).scorer }, 'LIME')).context.targets;
    assert.ok(
      argmax.every((t) => t === 0 || t === 1),
      'the fixture picks a real top class',
    );
  });

  it('KernelSHAP keeps Σφ = f(x) − f(baseline) with the clean row in the stream, and scores one batch fewer', async () => {
    const { scorer, batches } = recording(8);
    const result = await kernelShap.attribute(undefined, x, { scorer, featureMask, samples: 22, seed: 2 });
    const phi = result.details?.weights as Float64Array[];
    const base = result.details?.baselineScores as number[];
    phi.forEach((p, i) => {
      const sum = p.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - ((result.scores as number[])[i] as number) + (base[i] as number)) < 1e-3, `efficiency, sample ${i}`);
    });
    const rows = batches.reduce((a, b) => a + b, 0);
    const coalitions = (result.details as { samples: number[] }).samples[0] as number;
    assert.equal(rows, 2 * (1 + 1 + coalitions), 'per sample: the clean row, the baseline row and the coalitions');
    assert.deepEqual(
      batches,
      [...new Array(Math.floor(rows / 8)).fill(8), ...(rows % 8 ? [rows % 8] : [])],
      'full batches from the first: no batch for the clean pass alone',
    );
  });

  it('refuses a set whose first row is not the unperturbed sample, and a wrong target count', async () => {
    const setup = setupSuperpixels(undefined, x, { featureMask, scorer: recording(4).scorer }, 'LIME');
    const bad: CoalitionSet = { z: Uint8Array.of(0, 1, 1, 1, 1, 1, 1, 1), count: 2, features: 4 };
    await assert.rejects(scoreWithCleanRows(setup, [bad, bad], {}), /first coalition of every set must keep every superpixel/);
    const good = withCleanRow({ z: Uint8Array.of(0, 1, 0, 1), count: 1, features: 4 });
    assert.deepEqual([...good.z], [1, 1, 1, 1, 0, 1, 0, 1]);
    assert.deepEqual([...withLeadingRows({ z: Uint8Array.of(0, 1), count: 1, features: 2 }, [1, 0]).z], [1, 1, 0, 0, 0, 1]);
    await assert.rejects(
      scoreWithCleanRows(setup, [good, good], { target: [1] }),
      (e) => isLucernaError(e) && /Got 1 targets for a batch of 2/.test(e.message),
    );
    await assert.rejects(scoreWithCleanRows(setup, [good, good], { target: 7 }), (e) => isLucernaError(e) && e.code === 'BAD_TARGET');
  });
});
