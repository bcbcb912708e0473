import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_KERNEL_WIDTH, DEFAULT_LIME_SAMPLING, lime, limeCoalitions, limeWeights } from '../../src/attribution/perturbation/lime.js';
import { weightedRidge } from '../../src/attribution/perturbation/regression.js';
import { functionScorer } from '../../src/attribution/perturbation/scorer.js';
import { channelMeanBaseline, rgbFromInput } from '../../src/attribution/perturbation/superpixel-sampling.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { isLucernaError, type LucernaErrorCode } from '../../src/errors.js';
import { seededRandom } from '../../src/tensor/random.js';
import { concatBatch, sliceBatch, type Tensor } from '../../src/tensor/tensor.js';
import { detail, H, positiveMassInside, regionImage, regionModelBytes, W } from '../helpers/superpixel-fixtures.js';

const isError = (code: LucernaErrorCode) => (e: unknown) => isLucernaError(e, code) && !e.oneLine().includes('\n');

describe('LIME sampling and kernel', () => {
  it('keeps everything in the first sample and draws fair coins after it, reproducibly', () => {
    const a = limeCoalitions(20, 500, 3);
    assert.deepEqual([...a.z.subarray(0, 20)], new Array(20).fill(1));
    const ones = a.z.subarray(20).reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(ones / (499 * 20) - 0.5) < 0.02, `share of ones ${ones / (499 * 20)}`);
    assert.deepEqual(limeCoalitions(20, 500, 3).z, a.z);
    assert.notDeepEqual(limeCoalitions(20, 500, 4).z, a.z);
  });

  it('paired: every second coalition after the first is the complement of the one before', () => {
    const a = limeCoalitions(20, 501, 3, true);
    for (let r = 2; r < 501; r += 2)
      for (let k = 0; k < 20; k++) assert.equal((a.z[r * 20 + k] as number) + (a.z[(r - 1) * 20 + k] as number), 1, `row ${r}, feature ${k}`);
    // Each superpixel is on in exactly half of the 500 paired rows.
    for (let k = 0; k < 20; k++) {
      let on = 0;
      for (let r = 1; r < 501; r++) on += a.z[r * 20 + k] as number;
      assert.equal(on, 250);
    }
    assert.deepEqual([...limeCoalitions(20, 501, 3, false).z.subarray(20, 40)], [...a.z.subarray(20, 40)]);
  });

  it('weights by √exp(−d²/σ²) of the cosine distance to the all-ones vector', () => {
    const set = { z: Uint8Array.from([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]), count: 3, features: 4 };
    const w = limeWeights(set, DEFAULT_KERNEL_WIDTH);
    assert.equal(w[0], 1);
    // one of four on: cosine similarity 1/√4 = 0.5, d = 0.5
    assert.ok(Math.abs((w[1] as number) - Math.sqrt(Math.exp(-0.25 / 0.0625))) < 1e-15);
    // nothing on: d = 1 (scikit-learn's convention for a zero vector)
    assert.ok(Math.abs((w[2] as number) - Math.sqrt(Math.exp(-1 / 0.0625))) < 1e-15);
  });
});

describe('LIME on a model that looks at one region', () => {
  let model: Model;
  const x = regionImage(1);
  before(async () => {
    model = await Model.load(regionModelBytes(), { runtime: nodeRuntime });
  });
  after(async () => {
    await model[Symbol.asyncDispose]();
  });

  it('puts ≥ 90% of its positive mass inside the region', async () => {
    const r = await lime.attribute(model, x, { target: 0, seed: 1 });
    assert.deepEqual(r.attribution.shape, x.shape);
    const share = positiveMassInside(r.attribution);
    assert.ok(share >= 0.9, `positive mass inside: ${share}`);
    const count = detail<number[]>(r, 'segmentCount')[0] as number;
    assert.ok(count >= 25 && count <= 75, `segments ${count}`);
    const weights = detail<Float64Array[]>(r, 'weights')[0] as Float64Array;
    assert.equal(weights.length, count);
    for (let c = 1; c < 3; c++) for (let p = 0; p < H * W; p++) assert.equal(r.attribution.data[c * H * W + p], r.attribution.data[p]);
  });

  it('is deterministic for a seed and changes with it', async () => {
    const a = await lime.attribute(model, x, { target: 0, samples: 100, seed: 7 });
    const b = await lime.attribute(model, x, { target: 0, samples: 100, seed: 7, batchSize: 13 });
    const c = await lime.attribute(model, x, { target: 0, samples: 100, seed: 8 });
    assert.deepEqual(a.attribution.data, b.attribution.data);
    assert.notDeepEqual(a.attribution.data, c.attribution.data);
  });

  it('explains a batch as it explains each sample alone', async () => {
    const batch = concatBatch([x, regionImage(2)]);
    const r = await lime.attribute(model, batch, { target: 0, samples: 60, seed: 2, batchSize: 16 });
    for (let i = 0; i < 2; i++) {
      const single = await lime.attribute(model, sliceBatch(batch, i, 1), { target: 0, samples: 60, seed: 2 });
      assert.deepEqual(sliceBatch(r.attribution, i, 1).data, single.attribution.data);
    }
  });

  it('reports progress and stops when cancelled', async () => {
    const seen: [number, number][] = [];
    await lime.attribute(model, x, { target: 0, samples: 50, batchSize: 16, onProgress: (d, t) => seen.push([d, t]) });
    // 50 inputs are scored: the unperturbed first sample is the clean pass, in the first batch.
    assert.deepEqual(seen.at(-1), [50, 50]);
    assert.equal(seen.length, 4);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(lime.attribute(model, x, { target: 0, samples: 50, signal: controller.signal }), isError('ABORTED'));
  });
});

describe('LIME on a linear black box', () => {
  const h = 6;
  const w = 10;
  const next = seededRandom(11);
  const x: Tensor = { data: Float32Array.from({ length: 3 * h * w }, () => next()), shape: [1, 3, h, w] };
  const v = Float64Array.from({ length: 3 * h * w }, () => 2 * next() - 1);
  const linear = functionScorer(async (batch) => {
    const n = batch.shape[0] as number;
    const per = 3 * h * w;
    return Array.from({ length: n }, (_, i) => [v.reduce((s, vi, j) => s + vi * (batch.data[i * per + j] as number), 0)]);
  });
  // five vertical stripes of two columns each, ids 10, 20, …, 50 (renumbered 0..4)
  const mask = { data: Int32Array.from({ length: h * w }, (_, p) => 10 * (1 + Math.floor((p % w) / 2))), shape: [h, w] };

  it('with alpha 0 recovers each feature contribution Σ v·(x − b) and the baseline score as intercept', async () => {
    const r = await lime.attribute(undefined, x, { scorer: linear, target: 0, featureMask: mask, alpha: 0, samples: 200, seed: 3 });
    const b = channelMeanBaseline(x);
    const weights = detail<Float64Array[]>(r, 'weights')[0] as Float64Array;
    assert.equal(weights.length, 5);
    for (let k = 0; k < 5; k++) {
      let want = 0;
      for (let j = 0; j < 3 * h * w; j++) if (Math.floor((j % w) / 2) === k) want += (v[j] as number) * ((x.data[j] as number) - (b.data[j] as number));
      assert.ok(Math.abs((weights[k] as number) - want) < 1e-4, `feature ${k}: ${weights[k]} vs ${want}`);
    }
    const fb = v.reduce((s, vi, j) => s + vi * (b.data[j] as number), 0);
    assert.ok(Math.abs((detail<number[]>(r, 'intercept')[0] as number) - fb) < 1e-4);
    assert.ok((detail<number[]>(r, 'r2')[0] as number) > 0.999999);
  });

  it("sampling 'independent' is the lime package's sampler (fair coins, the same fit), and the default is balanced", async () => {
    const r = await lime.attribute(undefined, x, { scorer: linear, target: 0, featureMask: mask, samples: 40, seed: 3, sampling: 'independent' });
    assert.equal(detail(r, 'sampling'), 'independent');
    const set = limeCoalitions(5, 40, 3);
    const b = channelMeanBaseline(x);
    const y = Array.from({ length: 40 }, (_, row) => {
      let s = 0;
      for (let j = 0; j < 3 * h * w; j++) {
        const on = set.z[row * 5 + Math.floor((j % w) / 2)] === 1;
        s += (v[j] as number) * ((on ? x.data[j] : b.data[j]) as number);
      }
      return Math.fround(s);
    });
    const want = weightedRidge({ rows: 40, cols: 5, data: set.z }, y, limeWeights(set, DEFAULT_KERNEL_WIDTH), { alpha: 1 }).coef;
    const got = detail<Float64Array[]>(r, 'weights')[0] as Float64Array;
    for (let k = 0; k < 5; k++) assert.ok(Math.abs((got[k] as number) - (want[k] as number)) < 1e-4, `feature ${k}: ${got[k]} vs ${want[k]}`);
    const byDefault = await lime.attribute(undefined, x, { scorer: linear, target: 0, featureMask: mask, samples: 40, seed: 3 });
    assert.equal(DEFAULT_LIME_SAMPLING, 'balanced');
    assert.equal(detail(byDefault, 'sampling'), 'balanced');
  });

  it('scores the unperturbed input once: the clean pass stands for the first sample', async () => {
    let rows = 0;
    const counting = functionScorer(async (batch) => {
      rows += batch.shape[0] as number;
      return linear.score(batch);
    });
    await lime.attribute(undefined, x, { scorer: counting, target: 0, featureMask: mask, samples: 40, seed: 3 });
    assert.equal(rows, 1 + 39);
  });

  it('with the default ridge shrinks the weights towards zero', async () => {
    const free = await lime.attribute(undefined, x, { scorer: linear, target: 0, featureMask: mask, alpha: 0, samples: 200, seed: 3 });
    const ridge = await lime.attribute(undefined, x, { scorer: linear, target: 0, featureMask: mask, samples: 200, seed: 3 });
    const norm = (r: typeof free) => (detail<Float64Array[]>(r, 'weights')[0] as Float64Array).reduce((s, q) => s + q * q, 0);
    assert.ok(norm(ridge) < norm(free));
  });
});

describe('LIME options', () => {
  const x = regionImage(1);
  const scorer = functionScorer(async (batch) => Array.from({ length: batch.shape[0] as number }, () => [0, 1]));

  it('segments the min-max scaled input when no image is given, or the given image', async () => {
    const r = await lime.attribute(undefined, x, { scorer, samples: 4, segments: 20 });
    const viaImage = await lime.attribute(
      undefined,
      { data: x.data.map((q) => q * 3 - 1), shape: x.shape },
      { scorer, samples: 4, segments: 20, image: { data: rgbFromInput(x, 0).data as Float32Array, shape: [1, 3, H, W] } },
    );
    assert.deepEqual(detail<Int32Array[]>(viaImage, 'segments')[0], detail<Int32Array[]>(r, 'segments')[0]);
  });

  it('rejects bad options with one-line errors', async () => {
    const bad: [object, LucernaErrorCode, RegExp][] = [
      [{ samples: 1 }, 'BAD_OPTION', /samples must be an integer ≥ 2, got 1/],
      [{ samples: 2.5 }, 'BAD_OPTION', /samples must be an integer/],
      [{ kernelWidth: 0 }, 'BAD_OPTION', /kernelWidth must be a positive number/],
      [{ alpha: -1 }, 'BAD_OPTION', /alpha must be a number ≥ 0/],
      [{ segments: 0 }, 'BAD_OPTION', /segments must be an integer ≥ 1/],
      [{ compactness: Number.NaN }, 'BAD_OPTION', /compactness must be a positive number/],
      [{ seed: 0.5 }, 'BAD_OPTION', /seed must be an integer/],
      [{ sampling: 'sobol' }, 'BAD_OPTION', /sampling must be balanced, paired or independent, got sobol/],
      [{ featureMask: { data: new Int32Array(10), shape: [2, 5] } }, 'BAD_SHAPE', /feature mask has shape \[2, 5\]/],
      [{ featureMask: { data: new Float32Array(H * W).fill(0.5), shape: [H, W] } }, 'BAD_OPTION', /integer ids/],
      [{ featureMask: { data: new Int32Array(H * W), shape: [H, W] }, segments: 10 }, 'BAD_OPTION', /featureMask replaces SLIC/],
      [{ image: { data: new Float32Array(3 * 4 * 4), shape: [1, 3, 4, 4] } }, 'BAD_SHAPE', /SLIC image has shape/],
      [{ image: { data: new Float32Array(3 * H * W).fill(7), shape: [1, 3, H, W] } }, 'BAD_OPTION', /values in \[0, 1\]/],
      [{ baseline: { constant: Number.NaN } }, 'BAD_OPTION', /constant baseline/],
    ];
    for (const [options, code, text] of bad) {
      await assert.rejects(
        lime.attribute(undefined, x, { scorer, ...options }),
        (e) => isError(code)(e) && text.test((e as Error).message),
        JSON.stringify(options),
      );
    }
    await assert.rejects(lime.attribute(undefined, { data: new Float32Array(H * W), shape: [1, H, W] }, { scorer }), isError('BAD_SHAPE'));
    await assert.rejects(lime.attribute(undefined, { data: new Float32Array(4 * H * W), shape: [1, 4, H, W] }, { scorer }), isError('BAD_SHAPE'));
    await assert.rejects(lime.attribute(undefined, x, {}), isError('BAD_OPTION'));
  });
});
