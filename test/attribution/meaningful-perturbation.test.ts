import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gaussianBlur } from '../../src/attribution/baselines.js';
import {
  adamStep,
  addMaskRegularizer,
  meaningfulPerturbation,
  newAdamState,
  perturbedCopy,
} from '../../src/attribution/perturbation/meaningful-perturbation.js';
import type { AttributionResult } from '../../src/attribution/types.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { isLucernaError } from '../../src/errors.js';
import { buildModel } from '../../src/onnx/builder.js';
import { concatBatch, type Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { rng, uniform } from '../helpers/gradcheck.js';

/** One entry of a result's details. */
const detail = (r: AttributionResult, key: string): unknown => r.details?.[key];

const SIZE = 32;
/** The region the score depends on: rows and columns 4 to 27. */
const inRegion = (r: number, c: number): boolean => r >= 4 && r < 28 && c >= 4 && c < 28;
const REGION_PIXELS = 24 * 24;

/**
 * Two logits: class 0 = 8·(mean of x over the region − 0.5), class 1 = 0. Nothing outside the
 * region affects the score.
 */
function regionModel(): Uint8Array {
  const w = new Float32Array(SIZE * SIZE * 2);
  for (let r = 0; r < SIZE; r++) for (let c = 0; c < SIZE; c++) if (inRegion(r, c)) w[(r * SIZE + c) * 2] = 8 / REGION_PIXELS;
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', 1, SIZE, SIZE] }],
    outputs: ['logits'],
    build: (b) => {
      const flat = b.op('Flatten', ['x']);
      b.op('Gemm', [flat, b.weight('w', w, [SIZE * SIZE, 2]), b.weight('bias', [-4, 0], [2])], {}, { outputs: ['logits'] });
    },
  });
}

/** Ones inside the region, zeros outside. */
function regionImage(): Tensor {
  const data = new Float32Array(SIZE * SIZE);
  for (let r = 0; r < SIZE; r++) for (let c = 0; c < SIZE; c++) if (inRegion(r, c)) data[r * SIZE + c] = 1;
  return { data, shape: [1, 1, SIZE, SIZE] };
}

function regionShare(map: Float32Array): number {
  let inside = 0;
  let total = 0;
  for (let r = 0; r < SIZE; r++) {
    for (let c = 0; c < SIZE; c++) {
      const v = map[r * SIZE + c] as number;
      total += v;
      if (inRegion(r, c)) inside += v;
    }
  }
  return inside / total;
}

describe('meaningful perturbation', () => {
  let model: Model;
  before(async () => {
    model = await Model.load(regionModel(), { runtime: nodeRuntime });
  });
  after(() => model.dispose());

  it('deletes the region the score depends on, and the score and loss fall', async () => {
    const r = await meaningfulPerturbation.attribute(model, regionImage(), { target: 0, steps: 100, maskSize: 16, perturbation: 'constant' });
    assert.deepEqual(r.attribution.shape, [1, 1, SIZE, SIZE]);
    const share = regionShare(r.attribution.data);
    assert.ok(share >= 0.9, `only ${(100 * share).toFixed(1)}% of the mask lies in the region`);
    const scores = (detail(r, 'scores') as number[][])[0] as number[];
    const loss = (detail(r, 'loss') as number[][])[0] as number[];
    assert.equal(scores.length, 100);
    assert.ok((scores.at(-1) as number) < 0.1 * (scores[0] as number), `score ${scores[0]} → ${scores.at(-1)}`);
    assert.ok((loss.at(-1) as number) < 0.5 * (loss[0] as number), `loss ${loss[0]} → ${loss.at(-1)}`);
    assert.ok(Math.abs((r.scores[0] as number) - 1 / (1 + Math.exp(-4))) < 1e-5, 'the clean score is the probability');
    assert.deepEqual((detail(r, 'mask') as Tensor).shape, [1, 1, 16, 16]);
  });

  it('the first step scores x ⊙ m + blur(x) ⊙ (1 − m) with m = 0.5 (σ = 10 px by default)', async () => {
    const x: Tensor = { data: uniform(SIZE * SIZE, rng(9), 0, 1), shape: [1, 1, SIZE, SIZE] };
    const r = await meaningfulPerturbation.attribute(model, x, { target: 0, steps: 1, score: 'logit' });
    const blurred = gaussianBlur(x, 10);
    const mixed = { data: x.data.map((v, i) => 0.5 * v + 0.5 * (blurred.data[i] as number)), shape: x.shape };
    const logit = ((await model.run(mixed)).logits as Tensor).data[0] as number;
    const first = ((detail(r, 'scores') as number[][])[0] as number[])[0] as number;
    assert.ok(Math.abs(first - logit) < 1e-4, `${first} vs ${logit}`);
    assert.deepEqual(r.details?.maskSize, [28, 28]);
  });

  it('a batch of two samples equals each sample alone', async () => {
    const a = regionImage();
    const b: Tensor = { data: a.data.map((v, i) => v * (0.5 + (i % 7) / 10)), shape: a.shape };
    const options = { steps: 20, maskSize: 8, target: 0 };
    const both = await meaningfulPerturbation.attribute(model, concatBatch([a, b]), options);
    const one = await meaningfulPerturbation.attribute(model, a, options);
    const two = await meaningfulPerturbation.attribute(model, b, { ...options, batchSize: 1 });
    assertClose(both.attribution, concatBatch([one.attribution, two.attribution]), 1e-4, 'batched');
  });

  it('refuses bad options with one clear line', async () => {
    const x = regionImage();
    for (const [options, pattern] of [
      [{ steps: 0 }, /steps/],
      [{ initialMask: 1 }, /initial mask/],
      [{ perturbation: 'smear' }, /Unknown perturbation/],
      [{ learningRate: -1 }, /learning rate/],
    ] as const) {
      await assert.rejects(
        meaningfulPerturbation.attribute(model, x, options as never),
        (e: unknown) => isLucernaError(e, 'BAD_OPTION') && pattern.test(e.message),
      );
    }
  });
});

describe('mask regulariser and optimiser', () => {
  it('the regulariser gradient matches central finite differences', () => {
    const [mh, mw] = [4, 5];
    const theta = uniform(mh * mw, rng(4), -2, 2);
    const weights = { l1: 0.3, tv: 0.7, beta: 3 };
    const grad = new Float32Array(theta.length);
    addMaskRegularizer(theta, [mh, mw], weights, grad);
    const value = (t: Float32Array) => addMaskRegularizer(t, [mh, mw], weights, new Float32Array(t.length));
    const eps = 1e-3;
    for (let i = 0; i < theta.length; i++) {
      const up = Float32Array.from(theta);
      const down = Float32Array.from(theta);
      up[i] = (up[i] as number) + eps;
      down[i] = (down[i] as number) - eps;
      const fd = (value(up) - value(down)) / (Math.fround(up[i] as number) - Math.fround(down[i] as number));
      assert.ok(Math.abs(fd - (grad[i] as number)) < 1e-4, `d/dθ[${i}]: ${grad[i]} vs ${fd}`);
    }
  });

  it('the regulariser is λ1·mean(1 − m) for a constant mask (no variation)', () => {
    const theta = new Float32Array(6).fill(0);
    assert.ok(Math.abs(addMaskRegularizer(theta, [2, 3], { l1: 0.4, tv: 5, beta: 3 }, new Float32Array(6)) - 0.2) < 1e-12);
  });

  it('Adam minimises a quadratic', () => {
    const p = Float32Array.from([3, -2]);
    const state = newAdamState(2);
    for (let k = 0; k < 300; k++)
      adamStep(
        p,
        Float32Array.from(p, (v) => 2 * v),
        state,
        0.1,
      );
    assert.ok(Math.abs(p[0] as number) < 0.05 && Math.abs(p[1] as number) < 0.05, `${p[0]}, ${p[1]}`);
  });

  it('perturbedCopy: constant, noise (seeded) and blur', () => {
    const x: Tensor = { data: uniform(2 * 8 * 8, rng(1)), shape: [1, 2, 8, 8] };
    assert.ok(perturbedCopy(x, { constant: 0.25 }).data.every((v) => v === 0.25));
    assert.deepEqual(perturbedCopy(x, { noise: { seed: 3 } }).data, perturbedCopy(x, { noise: { seed: 3 } }).data);
    assert.deepEqual(perturbedCopy(x, { blur: { sigma: 2 } }).data, gaussianBlur(x, 2).data);
    assert.notDeepEqual(perturbedCopy(x, { noise: { seed: 3 } }).data, perturbedCopy(x, { noise: { seed: 4 } }).data);
  });
});
