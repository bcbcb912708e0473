import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_BLUR_SIGMA, gaussianBlur, gaussianKernel, resolveBaseline } from '../../src/attribution/baselines.js';
import { getMethod } from '../../src/attribution/methods.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { isLucernaError } from '../../src/errors.js';
import { sizeOf, type Tensor } from '../../src/tensor/tensor.js';
import { rng, uniform } from '../helpers/gradcheck.js';
import { caseInput, oracle, oracleModelBytes } from '../helpers/oracle.js';

function randomTensor(shape: number[], seed: number): Tensor {
  return { data: uniform(sizeOf(shape), rng(seed), -2, 2), shape };
}

/** Direct 2-D Gaussian convolution with clamped edges, in float64: the slow reference for the separable blur. */
function blur2d(x: Tensor, sigma: number): Float64Array {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const radius = Math.ceil(3 * sigma);
  const weight = (d: number) => Math.exp(-(d * d) / (2 * sigma * sigma));
  let norm = 0;
  for (let d = -radius; d <= radius; d++) norm += weight(d);
  const out = new Float64Array(x.data.length);
  for (let p = 0; p < n * c; p++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        let acc = 0;
        for (let di = -radius; di <= radius; di++) {
          for (let dj = -radius; dj <= radius; dj++) {
            const ii = Math.min(h - 1, Math.max(0, i + di));
            const jj = Math.min(w - 1, Math.max(0, j + dj));
            acc += weight(di) * weight(dj) * (x.data[p * h * w + ii * w + jj] as number);
          }
        }
        out[p * h * w + i * w + j] = acc / (norm * norm);
      }
    }
  }
  return out;
}

const code = (c: string) => (e: unknown) => isLucernaError(e) && e.code === c;

describe('resolveBaseline', () => {
  const x = randomTensor([2, 3, 9, 11], 1);

  it("'zeros' and undefined give zeros of the input's shape", () => {
    for (const spec of ['zeros', undefined] as const) {
      const r = resolveBaseline(spec, x);
      assert.deepEqual(r.shape, x.shape);
      assert.ok(r.data.every((v) => v === 0));
    }
  });

  it('{ constant } fills the value and rejects a non-finite one', () => {
    const r = resolveBaseline({ constant: 0.25 }, x);
    assert.deepEqual(r.shape, x.shape);
    assert.ok(r.data.every((v) => v === 0.25));
    assert.throws(() => resolveBaseline({ constant: Number.NaN }, x), code('BAD_OPTION'));
  });

  it('the separable blur equals a direct 2-D Gaussian convolution with clamped edges', () => {
    for (const sigma of [0.8, 2]) {
      const got = resolveBaseline({ blur: { sigma } }, x);
      const want = blur2d(x, sigma);
      assert.deepEqual(got.shape, x.shape);
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs((got.data[i] as number) - (want[i] as number)) < 1e-5, `sigma ${sigma} at ${i}`);
    }
  });

  it("'blur' uses the default sigma, keeps constant planes constant and never touches the input", () => {
    const copy = Float32Array.from(x.data);
    assert.deepEqual(resolveBaseline('blur', x).data, gaussianBlur(x, DEFAULT_BLUR_SIGMA).data);
    assert.deepEqual(x.data, copy);
    const flat = resolveBaseline('blur', { data: new Float32Array(2 * 16 * 16).fill(0.7), shape: [1, 2, 16, 16] });
    assert.ok(flat.data.every((v) => Math.abs(v - 0.7) < 1e-6));
    assert.notDeepEqual(resolveBaseline('blur', x).data, x.data);
  });

  it('blur with sigma 0 is a copy, and a bad sigma or a non-image input is rejected', () => {
    const r = resolveBaseline({ blur: { sigma: 0 } }, x);
    assert.deepEqual(r.data, x.data);
    assert.notEqual(r.data, x.data);
    assert.throws(() => resolveBaseline({ blur: { sigma: -1 } }, x), code('BAD_OPTION'));
    assert.throws(() => resolveBaseline('blur', { data: new Float32Array(4), shape: [1, 4] }), code('BAD_SHAPE'));
  });

  it('the Gaussian kernel is normalised, symmetric and 3 sigma wide', () => {
    const k = gaussianKernel(2);
    assert.equal(k.length, 13);
    assert.ok(Math.abs(k.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    for (let i = 0; i < k.length; i++) assert.equal(k[i], k[k.length - 1 - i]);
  });

  it('{ uniform } draws seeded values in [lo, hi)', () => {
    const a = resolveBaseline({ uniform: [-0.5, 1.5], seed: 3 }, x);
    const b = resolveBaseline({ uniform: [-0.5, 1.5], seed: 3 }, x);
    const c = resolveBaseline({ uniform: [-0.5, 1.5], seed: 4 }, x);
    assert.deepEqual(a.data, b.data);
    assert.notDeepEqual(a.data, c.data);
    assert.ok(a.data.every((v) => v >= -0.5 && v < 1.5));
    const mean = a.data.reduce((s, v) => s + v, 0) / a.data.length;
    assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
    assert.throws(() => resolveBaseline({ uniform: [1, 0] }, x), code('BAD_OPTION'));
  });

  it('a one-sample tensor is repeated for every sample; a batch tensor is copied', () => {
    const one = randomTensor([1, 3, 9, 11], 2);
    const r = resolveBaseline(one, x);
    assert.deepEqual(r.shape, x.shape);
    const per = sizeOf(x.shape.slice(1));
    assert.deepEqual(r.data.subarray(0, per), one.data);
    assert.deepEqual(r.data.subarray(per), one.data);
    const batch = randomTensor([2, 3, 9, 11], 3);
    const copied = resolveBaseline(batch, x);
    assert.deepEqual(copied.data, batch.data);
    assert.notEqual(copied.data, batch.data);
  });

  it('rejects tensors of any other shape with BAD_SHAPE', () => {
    for (const shape of [
      [3, 3, 9, 11],
      [1, 1, 9, 11],
      [1, 3, 11, 9],
      [3, 9, 11],
    ]) {
      assert.throws(() => resolveBaseline(randomTensor(shape, 4), x), code('BAD_SHAPE'), `shape ${shape}`);
    }
    assert.throws(() => resolveBaseline({ data: new Float32Array(5), shape: [1, 3, 9, 11] }, x), code('BAD_SHAPE'));
  });

  it('rejects an unknown spec with BAD_OPTION', () => {
    assert.throws(() => resolveBaseline('mean' as never, x), code('BAD_OPTION'));
    assert.throws(() => resolveBaseline({ gaussian: 1 } as never, x), code('BAD_OPTION'));
  });
});

describe('a NaN in a baseline names the baseline, not the input (issue #12, defect 5)', () => {
  const tiny = oracle().cases.find((c) => c.model === 'tiny_cnn') as Parameters<typeof caseInput>[0];
  const input = caseInput(tiny);
  const baseline = { data: new Float32Array(input.data.length), shape: [...input.shape] };
  baseline.data[7] = Number.NaN;
  const options: Record<string, Record<string, unknown>> = {
    'integrated-gradients': { steps: 2 },
    deeplift: {},
    occlusion: { window: [3, 16, 16], strides: [3, 16, 16] },
    'feature-ablation': {},
    lime: { samples: 4, segments: 4 },
    'kernel-shap': { samples: 4, segments: 4 },
  };
  for (const [name, extra] of Object.entries(options)) {
    it(name, async () => {
      await using model = await Model.load(oracleModelBytes(tiny), { runtime: nodeRuntime });
      await assert.rejects(
        getMethod(name).attribute(model, input, { ...extra, baseline } as Record<string, unknown>),
        (e: unknown) => isLucernaError(e, 'NON_FINITE_INPUT') && e.message === 'Baseline contains NaN at index [0, 0, 0, 7]',
      );
    });
  }
  it('the input keeps its own name', async () => {
    const bad = { data: Float32Array.from(input.data), shape: [...input.shape] };
    bad.data[7] = Number.NaN;
    assert.throws(
      () => resolveBaseline(baseline, input),
      (e: unknown) => isLucernaError(e, 'NON_FINITE_INPUT') && /^Baseline contains NaN/.test(e.message),
    );
    await using model = await Model.load(oracleModelBytes(tiny), { runtime: nodeRuntime });
    await assert.rejects(
      getMethod('integrated-gradients').attribute(model, bad, { steps: 2 } as Record<string, unknown>),
      (e: unknown) => isLucernaError(e) && /^Input contains NaN/.test(e.message),
    );
  });
});
