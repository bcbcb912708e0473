/**
 * Deletion and insertion on a linear model, whose score after each step can be worked out by hand.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { functionScorer, modelScorer } from '../../src/attribution/perturbation/scorer.js';
import { LucernaError } from '../../src/errors.js';
import { deletion } from '../../src/metrics/deletion.js';
import { insertion } from '../../src/metrics/insertion.js';
import { resolveStep, stepFractions } from '../../src/metrics/pixel-curve.js';
import { trapezoidArea } from '../../src/metrics/stats.js';
import { concatBatch, type Tensor } from '../../src/tensor/tensor.js';
import { contributions, linearModel, normalTensor } from './fixtures.js';

// f(x) = 4·x0 − 1·x1 + 2·x2 + 0.5·x3 + 0.5 on a 1×2×2 image x = [1, 2, 3, 4]:
// contributions w ⊙ x = [4, −2, 6, 2], f(x) = 10.5; ranked p2, p0, p3, p1.
const W = [4, -1, 2, 0.5];
const x: Tensor = { data: Float32Array.of(1, 2, 3, 4), shape: [1, 1, 2, 2] };
const model = await linearModel([1, 2, 2], W, 0.5);
after(() => model.dispose());
const exact = contributions(W, x);
const logit = { score: 'logit', target: 0 } as const;

describe('deletion and insertion on a linear model', () => {
  it('deletion with one pixel per step: the hand-computed curve and area', async () => {
    const r = await deletion(model, x, exact, { ...logit, step: 1 });
    assert.deepEqual(r.fractions, [0, 0.25, 0.5, 0.75, 1]);
    // 10.5 → remove p2 (6): 4.5 → p0 (4): 0.5 → p3 (2): −1.5 → p1 (−2): 0.5
    assertCurve(r.curves[0] as number[], [10.5, 4.5, 0.5, -1.5, 0.5]);
    // 0.25 · [(10.5+4.5) + (4.5+0.5) + (0.5−1.5) + (−1.5+0.5)] / 2 = 0.25 · 18 / 2
    assert.ok(Math.abs((r.auc[0] as number) - 2.25) < 1e-5, `auc ${r.auc[0]}`);
    assert.deepEqual(r.targets, [0]);
  });

  it('insertion from a zero baseline with one pixel per step', async () => {
    const r = await insertion(model, x, exact, { ...logit, step: 1, baseline: 'zeros' });
    // 0.5 → add p2: 6.5 → p0: 10.5 → p3: 12.5 → p1: 10.5
    assertCurve(r.curves[0] as number[], [0.5, 6.5, 10.5, 12.5, 10.5]);
    // 0.25 · [7 + 17 + 23 + 23] / 2
    assert.ok(Math.abs((r.auc[0] as number) - 8.75) < 1e-5, `auc ${r.auc[0]}`);
  });

  it('a last, shorter step lands on x = 1', async () => {
    const r = await deletion(model, x, exact, { ...logit, step: 3 });
    assert.deepEqual(r.fractions, [0, 0.75, 1]);
    assertCurve(r.curves[0] as number[], [10.5, -1.5, 0.5]);
    // 0.75 · (10.5 − 1.5) / 2 + 0.25 · (−1.5 + 0.5) / 2
    assert.ok(Math.abs((r.auc[0] as number) - 3.25) < 1e-5);
  });

  it('insertion starts from the blurred image by default and ends at the image', async () => {
    const big = normalTensor([1, 1, 8, 8], 4);
    const w = Array.from(normalTensor([64], 5).data);
    await using m = await linearModel([1, 8, 8], w);
    const r = await insertion(m, big, contributions(w, big), { ...logit, steps: 8 });
    const curve = r.curves[0] as number[];
    const fx = big.data.reduce((s, v, i) => s + v * (w[i] as number), 0);
    assert.ok(Math.abs((curve.at(-1) as number) - fx) < 1e-4);
    assert.ok(Math.abs((curve[0] as number) - fx) > 1e-3, 'the blurred start differs from the image');
  });

  it('the true contributions beat a random attribution: lower deletion and higher insertion area', async () => {
    const shape = [1, 3, 12, 12] as const;
    const img = normalTensor(shape, 11);
    const w = Array.from(normalTensor([3 * 12 * 12], 12).data);
    await using m = await linearModel([3, 12, 12], w);
    const perfect = contributions(w, img);
    const random = normalTensor(shape, 13);
    const options = { ...logit, steps: 24, baseline: 'zeros' } as const;
    const [dp, dr, ip, ir] = await Promise.all([
      deletion(m, img, perfect, options),
      deletion(m, img, random, options),
      insertion(m, img, perfect, options),
      insertion(m, img, random, options),
    ]);
    assert.ok((dp.auc[0] as number) < (dr.auc[0] as number), `deletion ${dp.auc[0]} vs ${dr.auc[0]}`);
    assert.ok((ip.auc[0] as number) > (ir.auc[0] as number), `insertion ${ip.auc[0]} vs ${ir.auc[0]}`);
  });

  it('a batch of samples equals the samples one by one, through any batch size and a black-box scorer', async () => {
    const a = normalTensor([1, 1, 2, 2], 21);
    const both = concatBatch([x, a]);
    const attributions = concatBatch([exact, contributions(W, a)]);
    const batched = await deletion(model, both, attributions, { ...logit, step: 1, batchSize: 3 });
    const second = await deletion(model, a, contributions(W, a), { ...logit, step: 1 });
    assertCurve(batched.curves[0] as number[], [10.5, 4.5, 0.5, -1.5, 0.5]);
    assertCurve(batched.curves[1] as number[], second.curves[0] as number[]);
    const inner = modelScorer(model);
    const blackBox = functionScorer((b) => inner.score(b), { batchSize: 2 });
    const viaScorer = await deletion(blackBox, both, attributions, { target: 0, step: 1 });
    assertCurve(viaScorer.curves[1] as number[], second.curves[0] as number[]);
  });

  it('probability scores by default, as in the paper', async () => {
    const r = await deletion(model, x, exact, { target: 0, step: 1 });
    const sigmoid2 = (v: number) => 1 / (1 + Math.exp(-2 * v)); // softmax of [v, −v]
    assertCurve(r.curves[0] as number[], [10.5, 4.5, 0.5, -1.5, 0.5].map(sigmoid2));
  });

  it('reports progress and stops on cancel', async () => {
    const seen: number[] = [];
    await deletion(model, x, exact, { ...logit, step: 1, batchSize: 2, onProgress: (d) => seen.push(d) });
    assert.deepEqual(seen, [2, 4, 5]);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(deletion(model, x, exact, { ...logit, signal: controller.signal }), (e: unknown) => e instanceof LucernaError && e.code === 'ABORTED');
  });

  it('argmax targets the predicted class; an out-of-range target is an error', async () => {
    const r = await deletion(model, x, exact, { score: 'logit', step: 2 });
    assert.deepEqual(r.targets, [0]);
    assert.ok(Math.abs((r.curves[0]?.[0] as number) - 10.5) < 1e-4);
    await assert.rejects(deletion(model, x, exact, { target: 5 }), (e: unknown) => e instanceof LucernaError && e.code === 'BAD_TARGET');
  });

  it('step helpers and bad options', () => {
    assert.equal(resolveStep(224 * 224, { steps: 100 }), 502);
    assert.equal(resolveStep(100, {}), 1);
    assert.deepEqual(stepFractions(10, 4), [0, 0.4, 0.8, 1]);
    assert.equal(trapezoidArea([0, 0.5, 1], [1, 0.5, 0]), 0.5);
    assert.throws(() => resolveStep(10, { step: 2, steps: 3 }), /not both/);
    assert.throws(() => resolveStep(10, { step: 0 }), /positive integer/);
  });
});

function assertCurve(actual: readonly number[], expected: readonly number[]): void {
  assert.equal(actual.length, expected.length, `curve length: ${actual} vs ${expected}`);
  for (const [i, v] of actual.entries()) assert.ok(Math.abs(v - (expected[i] as number)) < 1e-4, `point ${i}: ${v} vs ${expected[i]} (${actual})`);
}
