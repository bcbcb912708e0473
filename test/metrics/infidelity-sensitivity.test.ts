/**
 * Infidelity and max-sensitivity (Yeh et al. 2019): zero for the exact attribution of a linear
 * model, clearly positive otherwise, and reproducible from the seed.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { inputXGradient } from '../../src/attribution/gradient/input-x-gradient.js';
import { saliency } from '../../src/attribution/gradient/saliency.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { infidelity } from '../../src/metrics/infidelity.js';
import { maxSensitivity } from '../../src/metrics/max-sensitivity.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { contributions, linearModel, normalTensor, tinyConvNetBytes } from './fixtures.js';

const shape = [2, 3, 8, 8] as const;
const per = 3 * 8 * 8;
const w = Array.from(normalTensor([per], 31).data);
const model = await linearModel([3, 8, 8], w, 0.25);
const x = normalTensor(shape, 32);
const gradient: Tensor = { data: Float32Array.from({ length: 2 * per }, (_, i) => w[i % per] as number), shape: [...shape] };
after(() => model.dispose());
const base = { target: 0, samples: 16, seed: 7 } as const;

/** Σ (Iᵀw)² scale for the tolerance: (‖w‖ · σ)², the size of a typical score change squared. */
const scale = w.reduce((s, v) => s + v * v, 0);

describe('infidelity', () => {
  it('is zero, to float error, for the gradient of a linear model under Gaussian and square perturbations', async () => {
    for (const perturbation of [
      { kind: 'gaussian', stdev: 0.5 },
      { kind: 'square', size: 3 },
    ] as const) {
      const r = await infidelity(model, x, gradient, { ...base, perturbation });
      assert.equal(r.infidelity.length, 2);
      for (const v of r.infidelity) assert.ok(v >= 0 && v < 1e-9 * scale, `${perturbation.kind}: ${v}`);
    }
  });

  it('is zero for the exact contributions w ⊙ x when the attribution is input-scaled', async () => {
    const r = await infidelity(model, x, contributions(w, x), { ...base, perturbation: { kind: 'square', size: 4 }, multiplyByInputs: true });
    for (const v of r.infidelity) assert.ok(v < 1e-9 * scale, `${v}`);
    const viaMethod = await inputXGradient.attribute(model, x, { target: 0 });
    const m = await infidelity(model, x, viaMethod.attribution, { ...base, perturbation: { kind: 'gaussian', stdev: 0.3 }, multiplyByInputs: true });
    for (const v of m.infidelity) assert.ok(v < 1e-8 * scale, `${v}`);
  });

  it('is clearly positive for a wrong attribution, and normalisation forgives only a wrong scale', async () => {
    const wrong = await infidelity(model, x, normalTensor(shape, 33), base);
    for (const v of wrong.infidelity) assert.ok(v > 1e-3 * scale, `${v}`);
    const doubled: Tensor = { data: gradient.data.map((v) => 2 * v), shape: [...shape] };
    const raw = await infidelity(model, x, doubled, base);
    const normalized = await infidelity(model, x, doubled, { ...base, normalize: true });
    for (const [i, v] of raw.infidelity.entries()) {
      assert.ok(v > 1e-3 * scale, `raw ${v}`);
      assert.ok((normalized.infidelity[i] as number) < 1e-9 * scale, `normalised ${normalized.infidelity[i]}`);
    }
  });

  it('is reproducible from its seed and changes with it', async () => {
    const random = normalTensor(shape, 34);
    const a = await infidelity(model, x, random, { ...base, batchSize: 5 });
    const b = await infidelity(model, x, random, { ...base, batchSize: 16 });
    const c = await infidelity(model, x, random, { ...base, seed: 8 });
    assert.deepEqual(a.infidelity, b.infidelity);
    assert.notDeepEqual(a.infidelity, c.infidelity);
  });
});

describe('max-sensitivity', () => {
  it('is zero for saliency on a linear model (its gradient does not depend on x)', async () => {
    const r = await maxSensitivity(model, saliency, x, { target: 0, radius: 0.1, samples: 6, batchSize: 4, seed: 1 });
    assert.deepEqual(r.targets, [0, 0]);
    for (const v of r.sensitivity) assert.ok(v < 1e-6, `${v}`);
  });

  it('is positive on a ReLU network, grows with the radius, and is reproducible', async () => {
    await using net = await Model.load(tinyConvNetBytes(), { runtime: nodeRuntime });
    const xs = normalTensor([1, 1, 4, 4], 41);
    const small = await maxSensitivity(net, saliency, xs, { target: 0, radius: 0.05, samples: 12, seed: 2 });
    const large = await maxSensitivity(net, saliency, xs, { target: 0, radius: 2, samples: 12, seed: 2 });
    const again = await maxSensitivity(net, saliency, xs, { target: 0, radius: 2, samples: 12, seed: 2, batchSize: 5 });
    assert.ok((large.sensitivity[0] as number) > 0.01, `large ${large.sensitivity[0]}`);
    assert.ok((large.sensitivity[0] as number) >= (small.sensitivity[0] as number));
    assert.deepEqual(again.sensitivity, large.sensitivity);
  });
});
