import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { binomial, kernelShap, shapleyCoalitions, shapleyKernelWeight } from '../../src/attribution/perturbation/kernel-shap.js';
import { functionScorer } from '../../src/attribution/perturbation/scorer.js';
import { channelMeanBaseline } from '../../src/attribution/perturbation/superpixel-sampling.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { isLucernaError, type LucernaErrorCode } from '../../src/errors.js';
import { seededRandom } from '../../src/tensor/random.js';
import { concatBatch, sliceBatch, type Tensor } from '../../src/tensor/tensor.js';
import { caseInput, type OracleCase, oracle, oracleModelBytes } from '../helpers/oracle.js';
import { detail, H, inRegion, regionImage, regionModelBytes, W } from '../helpers/superpixel-fixtures.js';

const phiOf = (r: { details?: Readonly<Record<string, unknown>> }, i = 0) => detail<Float64Array[]>(r, 'weights')[i] as Float64Array;
const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);
const isError = (code: LucernaErrorCode) => (e: unknown) => isLucernaError(e, code) && !e.oneLine().includes('\n');

/** The target score of one input through a model. */
async function scoreOf(model: Model, x: Tensor, target: number): Promise<number> {
  const out = Object.values(await model.run(x))[0] as Tensor;
  return out.data[target] as number;
}

/** Asserts Σφ = f(x) − f(baseline) to 1e-4 relative, with f computed here, independently. */
async function assertEfficiency(model: Model, x: Tensor, phi: Float64Array, target: number): Promise<void> {
  const delta = (await scoreOf(model, x, target)) - (await scoreOf(model, channelMeanBaseline(x), target));
  assert.ok(Math.abs(delta) > 1e-6, 'the test needs f(x) ≠ f(baseline)');
  assert.ok(Math.abs(sum(phi) - delta) <= 1e-4 * Math.abs(delta), `Σφ = ${sum(phi)} but f(x) − f(b) = ${delta}`);
}

describe('Shapley kernel and coalitions', () => {
  it('kernel weights and binomials', () => {
    assert.equal(binomial(5, 2), 10);
    assert.equal(binomial(50, 25), 126410606437752);
    assert.equal(shapleyKernelWeight(4, 2), 3 / (6 * 2 * 2));
    assert.equal(shapleyKernelWeight(4, 0), Number.POSITIVE_INFINITY);
    assert.equal(shapleyKernelWeight(4, 4), Number.POSITIVE_INFINITY);
  });

  it('enumerates every non-trivial coalition with kernel-proportional weights when the budget allows', () => {
    const c = shapleyCoalitions(5, 100, 0);
    assert.ok(c.exact);
    assert.equal(c.count, 30);
    const keys = new Set<string>();
    let total = 0;
    for (let r = 0; r < c.count; r++) {
      const row = c.z.subarray(r * 5, (r + 1) * 5);
      const size = sum(row);
      assert.ok(size > 0 && size < 5);
      keys.add(row.join(''));
      const ratio = (c.weights[r] as number) / shapleyKernelWeight(5, size);
      total += c.weights[r] as number;
      assert.ok(Math.abs(ratio / ((c.weights[0] as number) / shapleyKernelWeight(5, sum(c.z.subarray(0, 5)))) - 1) < 1e-12);
    }
    assert.equal(keys.size, 30);
    assert.ok(Math.abs(total - 1) < 1e-12);
  });

  it('samples within the budget: smallest sizes enumerated, no duplicates, weights summing to 1, reproducible', () => {
    const c = shapleyCoalitions(12, 300, 4);
    assert.ok(!c.exact);
    assert.ok(c.count <= 300 && c.count >= 290, `count ${c.count}`);
    const keys = new Set<string>();
    const bySize = new Array<number>(13).fill(0);
    for (let r = 0; r < c.count; r++) {
      const row = c.z.subarray(r * 12, (r + 1) * 12);
      keys.add(row.join(''));
      bySize[sum(row)] = (bySize[sum(row)] as number) + 1;
    }
    assert.equal(keys.size, c.count);
    assert.equal(bySize[0], 0);
    assert.equal(bySize[12], 0);
    assert.equal(bySize[1], 12);
    assert.equal(bySize[11], 12);
    assert.ok(Math.abs(sum(c.weights) - 1) < 1e-12);
    assert.deepEqual(shapleyCoalitions(12, 300, 4).z, c.z);
    assert.notDeepEqual(shapleyCoalitions(12, 300, 5).z, c.z);
  });

  it('leverage sampling draws sizes evenly and reweights them to the kernel mass of each size', () => {
    const k = 16;
    const perSize = (c: ReturnType<typeof shapleyCoalitions>) => {
      const rows = new Array<number>(k + 1).fill(0);
      const mass = new Array<number>(k + 1).fill(0);
      for (let r = 0; r < c.count; r++) {
        const s = sum(c.z.subarray(r * k, (r + 1) * k));
        rows[s] = (rows[s] as number) + 1;
        mass[s] = (mass[s] as number) + (c.weights[r] as number);
      }
      return { rows, mass };
    };
    const kernel = perSize(shapleyCoalitions(k, 600, 3, 'kernel'));
    const leverage = perSize(shapleyCoalitions(k, 600, 3, 'leverage'));
    // Middle sizes get many more rows than under the kernel, which favours small and large ones.
    const middle = (p: { rows: number[] }) => p.rows.slice(6, 11).reduce((a, b) => a + b, 0);
    assert.ok(middle(leverage) > 1.3 * middle(kernel), `rows of sizes 6–10: ${middle(leverage)} vs ${middle(kernel)}`);
    // Each size's total weight stays near its exact share of the kernel mass, (K−1)/(s(K−s)) normalised.
    const shares = Array.from({ length: k + 1 }, (_, s) => (s === 0 || s === k ? 0 : (k - 1) / (s * (k - s))));
    const total = shares.reduce((a, b) => a + b, 0);
    for (let s = 3; s <= 13; s++) {
      const expected = (shares[s] as number) / total;
      assert.ok(Math.abs((leverage.mass[s] as number) - expected) < 0.4 * expected, `size ${s}: ${leverage.mass[s]} vs ${expected}`);
    }
    assert.ok(Math.abs(leverage.mass.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  });
});

describe('KernelSHAP on black boxes with known Shapley values', () => {
  const h = 6;
  const w = 10;
  const per = 3 * h * w;
  const next = seededRandom(21);
  const x: Tensor = { data: Float32Array.from({ length: per }, () => next()), shape: [1, 3, h, w] };
  const b = channelMeanBaseline(x);
  /** Feature k = columns 2k, 2k+1 (five features), ids 0..4. */
  const featureOf = (j: number) => Math.floor((j % w) / 2);
  const mask = { data: Int32Array.from({ length: h * w }, (_, p) => featureOf(p)), shape: [1, 1, h, w] };

  it('a linear score: φ_k = Σ_{j ∈ k} v_j (x_j − b_j), sampled or enumerated', async () => {
    const v = Float64Array.from({ length: per }, () => 2 * next() - 1);
    const scorer = functionScorer(async (batch) =>
      Array.from({ length: batch.shape[0] as number }, (_, i) => [0, sum(v.map((vj, j) => vj * (batch.data[i * per + j] as number)))]),
    );
    const want = [0, 1, 2, 3, 4].map((k) => sum(v.map((vj, j) => (featureOf(j) === k ? vj * ((x.data[j] as number) - (b.data[j] as number)) : 0))));
    for (const samples of [10, 100]) {
      const r = await kernelShap.attribute(undefined, x, { scorer, target: 1, featureMask: mask, samples, seed: 1 });
      assert.equal(detail<boolean[]>(r, 'exact')[0], samples >= 30);
      for (const [k, phi] of phiOf(r).entries())
        assert.ok(Math.abs(phi - (want[k] as number)) < 1e-4, `samples ${samples}, feature ${k}: ${phi} vs ${want[k]}`);
    }
  });

  it('a non-additive score: with every coalition enumerated, φ equals the brute-force Shapley values', async () => {
    /** Mean of each feature's pixels, then a game with interactions of order 2 to 4 (Shapley ≠ Banzhaf there). */
    const game = (data: Float32Array, offset: number): number => {
      const m = [0, 0, 0, 0, 0];
      for (let j = 0; j < per; j++) m[featureOf(j)] = (m[featureOf(j)] as number) + (data[offset + j] as number) / (per / 5);
      const [a, c, d, e, f] = m as [number, number, number, number, number];
      return 3 * a * c - 2 * Math.max(d, e) + Math.sin(4 * f) * a + d * d + 8 * a * c * d * f - 3 * Math.max(c, d, e);
    };
    const scorer = functionScorer(async (batch) => Float32Array.from({ length: batch.shape[0] as number }, (_, i) => game(batch.data, i * per)));
    /** v(S) through the same float32 rounding the scorer applies. */
    const value = (coalition: number): number => {
      const input = new Float32Array(per);
      for (let j = 0; j < per; j++) input[j] = (coalition >> featureOf(j)) & 1 ? (x.data[j] as number) : 0;
      return Math.fround(game(input, 0));
    };
    const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
    const want = [0, 1, 2, 3, 4].map((k) => {
      let phi = 0;
      for (let s = 0; s < 32; s++) {
        if ((s >> k) & 1) continue;
        const size = [0, 1, 2, 3, 4].filter((i) => (s >> i) & 1).length;
        phi += ((factorial(size) * factorial(4 - size)) / factorial(5)) * (value(s | (1 << k)) - value(s));
      }
      return phi;
    });
    const r = await kernelShap.attribute(undefined, x, { scorer, featureMask: mask, samples: 64, baseline: 'zeros' });
    assert.ok(detail<boolean[]>(r, 'exact')[0]);
    const scale = Math.max(...want.map(Math.abs));
    assert.ok(scale > 0.1, 'the game must move');
    for (const [k, phi] of phiOf(r).entries()) assert.ok(Math.abs(phi - (want[k] as number)) < 1e-6 * scale, `feature ${k}: ${phi} vs ${want[k]}`);
    assert.ok(Math.abs(sum(phiOf(r)) - (value(31) - value(0))) < 1e-6);
  });
});

describe('KernelSHAP on ONNX models', () => {
  let model: Model;
  const x = regionImage(1);
  before(async () => {
    model = await Model.load(regionModelBytes(), { runtime: nodeRuntime });
  });
  after(async () => {
    await model[Symbol.asyncDispose]();
  });

  it('efficiency holds on the oracle small_resnet (both inputs)', async () => {
    for (const id of ['small_resnet/blobs', 'small_resnet/noise']) {
      const c = oracle().cases.find((k) => k.id === id) as OracleCase;
      await using resnet = await Model.load(oracleModelBytes(c), { runtime: nodeRuntime });
      const input = caseInput(c);
      const r = await kernelShap.attribute(resnet, input, { target: c.target, samples: 64, segments: 30, seed: 2 });
      assert.deepEqual(r.attribution.shape, input.shape);
      await assertEfficiency(resnet, input, phiOf(r), c.target);
    }
  });

  it('on a model that looks at one region: efficiency, and ≥ 90% of the positive mass inside the region', async () => {
    const r = await kernelShap.attribute(model, x, { target: 0, samples: 1000, seed: 1 });
    await assertEfficiency(model, x, phiOf(r), 0);
    let inside = 0;
    let total = 0;
    for (let p = 0; p < H * W; p++) {
      const v = Math.max(0, r.attribution.data[p] as number);
      total += v;
      if (inRegion(Math.floor(p / W), p % W)) inside += v;
    }
    assert.ok(inside / total >= 0.9, `positive mass inside: ${inside / total}`);
  });

  it('is deterministic for a seed, changes with it, and explains a batch as each sample alone', async () => {
    const a = await kernelShap.attribute(model, x, { target: 0, samples: 80, seed: 3 });
    const again = await kernelShap.attribute(model, x, { target: 0, samples: 80, seed: 3, batchSize: 7 });
    const other = await kernelShap.attribute(model, x, { target: 0, samples: 80, seed: 4 });
    assert.deepEqual(again.attribution.data, a.attribution.data);
    assert.notDeepEqual(other.attribution.data, a.attribution.data);
    const batch = concatBatch([x, regionImage(2)]);
    const r = await kernelShap.attribute(model, batch, { target: 0, samples: 80, seed: 3 });
    assert.deepEqual(sliceBatch(r.attribution, 0, 1).data, a.attribution.data);
    const second = await kernelShap.attribute(model, regionImage(2), { target: 0, samples: 80, seed: 3 });
    assert.deepEqual(sliceBatch(r.attribution, 1, 1).data, second.attribution.data);
  });

  it('rejects bad options with one-line errors', async () => {
    await assert.rejects(kernelShap.attribute(model, x, { samples: 0 }), isError('BAD_OPTION'));
    await assert.rejects(kernelShap.attribute(model, x, { samples: 1.5 }), isError('BAD_OPTION'));
    await assert.rejects(kernelShap.attribute(model, x, { seed: Number.NaN }), isError('BAD_OPTION'));
    await assert.rejects(kernelShap.attribute(model, x, { segments: -3 }), isError('BAD_OPTION'));
    await assert.rejects(kernelShap.attribute(model, x, { target: 5 }), isError('BAD_TARGET'));
    await assert.rejects(kernelShap.attribute(model, { data: new Float32Array(3 * 8 * 8), shape: [1, 3, 8, 8] }), isError('BAD_SHAPE'));
  });
});
