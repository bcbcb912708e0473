import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ablateFeatures, type FeatureMask, featureAblation, featureGroups, gridFeatureMask } from '../../src/attribution/perturbation/feature-ablation.js';
import { functionScorer } from '../../src/attribution/perturbation/scorer.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { LucernaError } from '../../src/errors.js';
import { seededRandom } from '../../src/tensor/random.js';
import { sizeOf, type Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { caseInput, oracle, oracleInts, oracleModelBytes, reference } from '../helpers/oracle.js';
import { abortAfter } from '../helpers/perturbation.js';

/**
 * Forward-only parity with lowered optimisation (as the gradient tests). Each attribution is one
 * difference of two logits, so its error is a few float32 ulps of the logit; on small_resnet/blobs
 * (logit 2.28, largest attribution 0.0105) 1e-4 × the reference max is only ~4.4 ulps, and ORT's
 * default (fused) graph lands at ~5 ulps. With optimisation disabled every case is within 1e-4.
 */
const load = (c: { onnx: string }) => Model.load(oracleModelBytes(c), { runtime: nodeRuntime, optimization: 'disabled' });

function oracleMask(modelName: string): FeatureMask {
  const m = oracle().models[modelName]!;
  return { data: oracleInts(m.feature_mask.file), shape: m.feature_mask.shape };
}

function randomTensor(shape: number[], seed: number): Tensor {
  const next = seededRandom(seed);
  return { data: Float32Array.from({ length: sizeOf(shape) }, () => next() * 2 - 1), shape };
}

/** A black box on rows: class 0 = Σ w·x·|x|, class 1 = Σ x; with a count of the rows it scored. */
function blackBox(weights: Float32Array, batchSize = 7) {
  const per = weights.length;
  const score = (row: Float32Array) => {
    let a = 0;
    let s = 0;
    for (let k = 0; k < per; k++) {
      a += (weights[k] as number) * (row[k] as number) * Math.abs(row[k] as number);
      s += row[k] as number;
    }
    return [a, s];
  };
  const box = {
    rows: 0,
    scorer: functionScorer(
      async (batch) => {
        box.rows += batch.shape[0] as number;
        return Array.from({ length: batch.shape[0] as number }, (_, r) => score(batch.data.subarray(r * per, (r + 1) * per)));
      },
      { batchSize },
    ),
    one: (row: Float32Array) => score(row)[0] as number,
  };
  return box;
}

/** Feature ablation from the definition, with the mask already expanded to the input's shape. */
function slowAblation(f: (row: Float32Array) => number, x: Tensor, b: Tensor, ids: number[]): Float32Array {
  const n = x.shape[0] as number;
  const per = x.data.length / n;
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < n; i++) {
    const row = x.data.slice(i * per, (i + 1) * per);
    const clean = f(row);
    for (const id of new Set(ids.slice(i * per, (i + 1) * per))) {
      const ablated = row.map((v, k) => (ids[i * per + k] === id ? (b.data[i * per + k] as number) : v));
      for (let k = 0; k < per; k++) if (ids[i * per + k] === id) out[i * per + k] = clean - f(ablated);
    }
  }
  return out;
}

describe('feature ablation', () => {
  for (const c of oracle().cases) {
    it(`matches Captum's FeatureAblation (4×4 feature mask, baseline 0): ${c.id}`, async () => {
      await using m = await load(c);
      const mask = oracleMask(c.model);
      const r = await featureAblation.attribute(m, caseInput(c), { featureMask: mask, baseline: 'zeros', target: c.target, batchSize: 32 });
      assertClose(r.attribution, reference(c, 'feature_ablation'), 1e-4, c.id);
      assert.deepEqual(r.details?.features, [oracle().models[c.model]?.feature_mask.num_features]);
    });
  }

  it('the oracle mask is the 4-pixel grid mask', () => {
    const mask = oracleMask('tiny_cnn');
    assert.deepEqual([...gridFeatureMask(32, 32, 4).data], [...(mask.data as Int32Array)]);
  });

  it('batch size 1 and 64 give identical maps', async () => {
    const c = oracle().cases.find((k) => k.model === 'small_mobilenet')!;
    await using m = await load(c);
    const x = caseInput(c);
    const featureMask = oracleMask(c.model);
    const one = await featureAblation.attribute(m, x, { featureMask, batchSize: 1 });
    const many = await featureAblation.attribute(m, x, { featureMask, batchSize: 64 });
    assert.deepEqual(many.attribution.data, one.attribution.data);
  });

  it('broadcasts masks like Captum: shared, per channel, per sample; int32, float and int64 ids agree', async () => {
    const shape = [2, 3, 5, 6];
    const x = randomTensor(shape, 1);
    const b = randomTensor(shape, 2);
    const box = blackBox(randomTensor([1, 3, 5, 6], 3).data);
    const next = seededRandom(4);
    const expand = (mask: FeatureMask): number[] => {
      const ids: number[] = [];
      for (let i = 0; i < 2; i++)
        for (let c = 0; c < 3; c++)
          for (let y = 0; y < 5; y++)
            for (let w = 0; w < 6; w++) {
              const [mn, mc, mh, mw] = mask.shape as [number, number, number, number];
              const k = (((mn === 1 ? 0 : i) * mc + (mc === 1 ? 0 : c)) * mh + (mh === 1 ? 0 : y)) * mw + (mw === 1 ? 0 : w);
              ids.push(Number(mask.data[k]));
            }
      return ids;
    };
    const masks: FeatureMask[] = [
      { data: Int32Array.from({ length: 30 }, () => Math.floor(next() * 5)), shape: [1, 1, 5, 6] },
      { data: Int32Array.from({ length: 90 }, () => Math.floor(next() * 7) - 3), shape: [1, 3, 5, 6] },
      { data: Int32Array.from({ length: 60 }, () => Math.floor(next() * 4)), shape: [2, 1, 5, 6] },
      { data: Int32Array.from({ length: 6 }, (_, k) => k % 3), shape: [1, 1, 1, 6] },
    ];
    for (const mask of masks) {
      const ids = expand(mask);
      const expected = slowAblation(box.one, x, b, ids);
      const label = `mask ${mask.shape.join('×')}`;
      box.rows = 0;
      const r = await ablateFeatures(box.scorer, x, { featureMask: mask, baseline: b, target: 0 });
      assertClose(r.attribution, { data: expected, shape }, 1e-5, label);
      const features = [0, 1].map((i) => new Set(ids.slice(i * 90, (i + 1) * 90)).size);
      assert.equal(box.rows, 2 + features[0]! + features[1]!, `${label}: one forward pass per (sample, feature) plus the clean ones`);
      const asFloat = await ablateFeatures(box.scorer, x, {
        featureMask: { data: Float32Array.from(mask.data as Int32Array), shape: mask.shape },
        baseline: b,
        target: 0,
      });
      assert.deepEqual(asFloat.attribution.data, r.attribution.data, `${label}: float ids`);
      const asInt64 = await ablateFeatures(box.scorer, x, {
        featureMask: { data: BigInt64Array.from(mask.data as Int32Array, BigInt), shape: mask.shape },
        baseline: b,
        target: 0,
      });
      assert.deepEqual(asInt64.attribution.data, r.attribution.data, `${label}: int64 ids`);
    }
  });

  it('groups elements by ascending feature id', () => {
    const [g] = featureGroups({ data: Int32Array.from([5, -1, 5, 2]), shape: [1, 1, 2, 2] }, [1, 1, 2, 2]);
    assert.deepEqual(g?.ids, [-1, 2, 5]);
    assert.deepEqual([...(g?.offsets ?? [])], [0, 1, 2, 4]);
    assert.deepEqual([...(g?.elements ?? [])], [1, 3, 0, 2]);
  });

  it('rejects bad masks and options with one-line errors before any forward pass', async () => {
    const box = blackBox(randomTensor([1, 3, 8, 8], 5).data);
    const x = randomTensor([2, 3, 8, 8], 6);
    const grid = gridFeatureMask(8, 8, 2);
    const bad: [string, object, string][] = [
      ['mask of the wrong size', { featureMask: gridFeatureMask(4, 4, 2) }, 'BAD_SHAPE'],
      ['mask of the wrong rank', { featureMask: { data: grid.data, shape: [8, 8] } }, 'BAD_SHAPE'],
      ['mask batch neither 1 nor N', { featureMask: { data: new Int32Array(3 * 64), shape: [3, 1, 8, 8] } }, 'BAD_SHAPE'],
      ['mask data shorter than its shape', { featureMask: { data: new Int32Array(10), shape: [1, 1, 8, 8] } }, 'BAD_SHAPE'],
      ['fractional ids', { featureMask: { data: new Float32Array(64).fill(0.5), shape: [1, 1, 8, 8] } }, 'BAD_OPTION'],
      ['NaN ids', { featureMask: { data: new Float32Array(64).fill(Number.NaN), shape: [1, 1, 8, 8] } }, 'BAD_OPTION'],
      ['non-finite constant baseline', { featureMask: grid, baseline: { constant: Number.NaN } }, 'BAD_OPTION'],
    ];
    for (const [what, options, code] of bad) {
      await assert.rejects(ablateFeatures(box.scorer, x, options as never), (e: unknown) => {
        assert.ok(e instanceof LucernaError, what);
        assert.equal(e.code, code, what);
        assert.ok(!e.oneLine().includes('\n'), `${what}: ${e.oneLine()}`);
        return true;
      });
    }
    assert.equal(box.rows, 0, 'validation runs before the scorer');
    await assert.rejects(
      ablateFeatures(box.scorer, { data: new Float32Array(12), shape: [1, 12] }),
      (e: unknown) => e instanceof LucernaError && e.code === 'BAD_OPTION',
    );
  });

  it('defaults to 8×8-pixel features shared by the channels', async () => {
    const box = blackBox(randomTensor([1, 3, 16, 24], 7).data);
    const x = randomTensor([1, 3, 16, 24], 8);
    const r = await ablateFeatures(box.scorer, x, { target: 0 });
    const expected = await ablateFeatures(box.scorer, x, { target: 0, featureMask: gridFeatureMask(16, 24, 8) });
    assert.deepEqual(r.details?.features, [6]);
    assert.deepEqual(r.attribution.data, expected.attribution.data);
  });

  it('an AbortSignal fired mid-run rejects quickly with ABORTED', async () => {
    const abort = abortAfter(8);
    const box = blackBox(randomTensor([1, 3, 16, 16], 9).data, 4);
    const run = ablateFeatures(box.scorer, randomTensor([1, 3, 16, 16], 10), {
      featureMask: gridFeatureMask(16, 16, 1),
      signal: abort.signal,
      onProgress: abort.onProgress,
    });
    await abort.assertAborted(run);
    assert.equal(box.rows, 1 + 8, 'no chunk was scored after the abort');
  });
});
