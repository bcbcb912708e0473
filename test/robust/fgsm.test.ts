import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLucernaError } from '../../src/errors.js';
import { attackOutcome, logitCrossEntropy } from '../../src/robust/evaluate.js';
import { fgsm } from '../../src/robust/fgsm.js';
import { sliceBatch, type Tensor } from '../../src/tensor/tensor.js';
import { type Linear, linearLogits, linearLossGradient, linearModel, normalInput, tinyCnn } from './fixtures.js';

const f = Math.fround;

/** Three classes over four values; value 2 has a zero column, so its gradient is exactly 0. */
const LINEAR: Linear = {
  shape: [1, 2, 2],
  w: [
    [1.0, -2.0, 0, 0.5],
    [-0.5, 1.5, 0, -1.0],
    [0.25, 0.75, 0, 2.0],
  ],
  b: [0.1, -0.2, 0.05],
};

/** FGSM straight from its definition, with the loss gradient in closed form. */
function reference(spec: Linear, x: readonly number[], target: number, epsilon: number, direction: 1 | -1, lower = -Infinity, upper = Infinity): number[] {
  const g = linearLossGradient(spec, x, target);
  return x.map(f).map((v, i) => {
    const gi = g[i] as number;
    assert.ok(gi === 0 || Math.abs(gi) > 1e-4, 'the fixture keeps gradients away from the threshold');
    const stepped = Math.abs(gi) > 1e-6 ? f(v + direction * f(epsilon) * Math.sign(gi)) : v;
    return Math.min(f(upper), Math.max(f(lower), stepped));
  });
}

const argmax = (z: readonly number[]) => z.indexOf(Math.max(...z));

describe('FGSM', () => {
  it('steps up the loss of the predicted class by default (hand-computed)', async () => {
    await using model = await linearModel(LINEAR);
    const x = [0.3, -0.2, 0.7, 0.1];
    const predicted = argmax(linearLogits(LINEAR, x));
    const r = await fgsm.perturb(model, { data: Float32Array.from(x), shape: [1, 1, 2, 2] }, { epsilon: 0.05 });
    assert.deepEqual(r.targets, [predicted]);
    assert.deepEqual([...r.adversarial.data], reference(LINEAR, x, predicted, 0.05, 1));
    assert.equal(r.adversarial.data[2], f(0.7), 'a zero gradient takes no step');
  });

  it('steps down the loss of the target when targeted, and clamps every element, stepped or not', async () => {
    await using model = await linearModel(LINEAR);
    const x = [0.3, -0.2, 1.7, 0.1]; // value 2 is out of bounds and has no gradient
    const r = await fgsm.perturb(
      model,
      { data: Float32Array.from(x), shape: [1, 1, 2, 2] },
      { epsilon: 0.4, target: 2, targeted: true, lower: -0.5, upper: 0.5 },
    );
    assert.deepEqual([...r.adversarial.data], reference(LINEAR, x, 2, 0.4, -1, -0.5, 0.5));
    assert.equal(r.adversarial.data[2], 0.5);
    assert.equal(r.targeted, true);
  });

  it('targets a given class without --targeted by raising its loss', async () => {
    await using model = await linearModel(LINEAR);
    const x = [0.3, -0.2, 0.7, 0.1];
    const r = await fgsm.perturb(model, { data: Float32Array.from(x), shape: [1, 1, 2, 2] }, { epsilon: 0.1, target: 1 });
    assert.deepEqual([...r.adversarial.data], reference(LINEAR, x, 1, 0.1, 1));
  });

  it('raises the loss of the label (untargeted) and lowers it (targeted)', async () => {
    await using model = await tinyCnn();
    const x = normalInput([3, 3, 8, 8], 5);
    const up = await fgsm.perturb(model, x, { epsilon: 0.05 });
    const before = await attackOutcome(model, x, up);
    const down = await fgsm.perturb(model, x, { epsilon: 0.05, target: up.targets, targeted: true });
    const upLoss = (await attackOutcome(model, up.adversarial, up)).loss;
    const downLoss = (await attackOutcome(model, down.adversarial, down)).loss;
    for (let i = 0; i < 3; i++) {
      assert.ok((upLoss[i] as number) > (before.loss[i] as number), `sample ${i}: untargeted raises the loss`);
      assert.ok((downLoss[i] as number) < (before.loss[i] as number), `sample ${i}: targeted lowers the loss`);
    }
  });

  it('a batch with per-sample targets and ε equals the samples one by one, at any batch size', async () => {
    await using model = await tinyCnn();
    const x = normalInput([5, 3, 8, 8], 9);
    const target = [0, 3, 1, 2, 0];
    const epsilon = [0.01, 0.02, 0.03, 0.04, 0.05];
    const batched = await fgsm.perturb(model, x, { epsilon, target, batchSize: 2 });
    for (let i = 0; i < 5; i++) {
      const one = await fgsm.perturb(model, sliceBatch(x, i, 1), { epsilon: epsilon[i] as number, target: target[i] });
      assert.deepEqual([...sliceBatch(batched.adversarial, i, 1).data], [...one.adversarial.data], `sample ${i}`);
    }
    assert.deepEqual(batched.targets, target);
    assert.deepEqual(batched.epsilon, epsilon);
  });

  it('reports progress and stops when cancelled', async () => {
    await using model = await tinyCnn();
    const x = normalInput([4, 3, 8, 8], 2);
    const seen: string[] = [];
    await fgsm.perturb(model, x, { epsilon: 0.1, batchSize: 2, onProgress: (d, t) => seen.push(`${d}/${t}`) });
    assert.deepEqual(seen, ['1/2', '2/2']);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(fgsm.perturb(model, x, { epsilon: 0.1, signal: controller.signal }), (e) => isLucernaError(e, 'ABORTED'));
  });

  describe('bad input is a one-line error', () => {
    const x: Tensor = normalInput([2, 3, 8, 8], 1);
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['ε = 0', { epsilon: 0 }, 'BAD_OPTION', /epsilon must be a finite number > 0, got 0/],
      ['ε < 0', { epsilon: -0.1 }, 'BAD_OPTION', /> 0/],
      ['ε NaN', { epsilon: Number.NaN }, 'BAD_OPTION', /> 0/],
      ['ε per sample of the wrong length', { epsilon: [0.1] }, 'BAD_OPTION', /1 values of epsilon for a batch of 2/],
      ['lower = upper', { epsilon: 0.1, lower: 1, upper: 1 }, 'BAD_OPTION', /lower bound 1 must be below the upper bound 1/],
      ['lower > upper', { epsilon: 0.1, lower: 2, upper: 1 }, 'BAD_OPTION', /below/],
      ['a target out of range', { epsilon: 0.1, target: 4 }, 'BAD_TARGET', /Target 4 is out of range: the model has 4 classes/],
      ['a negative target', { epsilon: 0.1, target: -1 }, 'BAD_TARGET', /out of range/],
      ['targets of the wrong length', { epsilon: 0.1, target: [1, 2, 3] }, 'BAD_TARGET', /3 targets for a batch of 2/],
      ['targeted without a target', { epsilon: 0.1, targeted: true }, 'BAD_TARGET', /needs a target/],
    ];
    for (const [label, options, code, message] of cases) {
      it(label, async () => {
        await using model = await tinyCnn();
        await assert.rejects(fgsm.perturb(model, x, options as never), (e) => isLucernaError(e) && e.code === code && message.test(e.message));
      });
    }
  });
});

describe('the cross-entropy of a logits row', () => {
  it('is −log softmax(row)[target]', () => {
    const row = [2, 0, -1];
    const expected = -Math.log(Math.exp(2) / (Math.exp(2) + 1 + Math.exp(-1)));
    assert.ok(Math.abs(logitCrossEntropy(row, 0) - expected) < 1e-12);
    assert.ok(Math.abs(logitCrossEntropy([1000, 0], 1) - 1000) < 1e-9, 'stable for large logits');
  });
});
