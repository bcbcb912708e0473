import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLucernaError } from '../../src/errors.js';
import { predictRows } from '../../src/robust/evaluate.js';
import { fgsm } from '../../src/robust/fgsm.js';
import { GridBisection, minimalPerturbation, pyFloorDiv } from '../../src/robust/min-perturbation.js';
import { pgd } from '../../src/robust/pgd.js';
import { sliceBatch } from '../../src/tensor/tensor.js';
import { type Linear, linearModel, normalInput, tinyCnn } from './fixtures.js';

describe("Python's float floor division", () => {
  it('rounds as CPython does', () => {
    // Values printed by Python 3: 1.0 // 0.1 is 9.0, not 10.
    const cases: [number, number, number][] = [
      [1, 0.1, 9],
      [0.3, 0.1, 2],
      [0.7, 0.1, 6],
      [0.05, 0.01, 5],
      [9, 2, 4],
      [-1, 0.3, -4],
      [1, -0.3, -4],
      [0, 0.1, 0],
      [5.5, -2, -3],
      [1e-17, 0.1, 0],
    ];
    for (const [a, b, q] of cases) assert.equal(pyFloorDiv(a, b), q, `${a} // ${b}`);
  });
});

describe("the bisection of Captum's MinParamPerturbation (binary mode)", () => {
  /** The values tried and the result, for a success predicate. Traces checked against Python floats. */
  function trace(min: number, max: number, step: number, ok: (v: number) => boolean): [number[], number | undefined] {
    const s = new GridBisection(min, max, step);
    const tried: number[] = [];
    while (!s.done) {
      const v = s.next();
      tried.push(v);
      s.report(ok(v));
    }
    return [tried, s.best];
  }
  it('finds the first successful grid value', () => {
    assert.deepEqual(
      trace(0, 1, 0.1, (v) => v >= 0.35),
      [[0.4, 0.2, 0.30000000000000004, 0.30000000000000004], 0.4],
    );
    assert.deepEqual(
      trace(0, 0.5, 0.01, (v) => v > 0.185),
      [[0.24, 0.11, 0.16999999999999998, 0.19999999999999998, 0.18, 0.19, 0.18], 0.19],
    );
    assert.deepEqual(
      trace(2, 10, 1, (v) => v >= 7),
      [[6, 8, 7, 6], 7],
    );
  });
  it('tries the lower end last, and never the upper end', () => {
    assert.deepEqual(
      trace(0, 1, 0.1, () => true),
      [[0.4, 0.2, 0.1, 0], 0],
    );
    assert.deepEqual(
      trace(0, 1, 0.1, () => false),
      [[0.4, 0.6000000000000001, 0.7000000000000001, 0.8, 0.9, 0.9], undefined],
    );
  });
  it('rejects a range without room for a step', () => {
    assert.throws(
      () => new GridBisection(0, 0.1, 0.1),
      (e) => isLucernaError(e, 'BAD_OPTION') && /max > min \+ step/.test(e.message),
    );
    assert.throws(
      () => new GridBisection(0, 1, 0),
      (e) => isLucernaError(e, 'BAD_OPTION'),
    );
  });
});

describe('the minimal perturbation per sample', () => {
  // Two classes: logit 0 = z = w·x + b, logit 1 = −z. FGSM against class 0 moves x by −ε·sign(w),
  // so z falls by ε·‖w‖₁ = 2ε: the decision flips once ε > z / 2.
  const w = [0.5, -0.25, 1, 0.25];
  const spec: Linear = { shape: [1, 2, 2], w: [w, w.map((v) => -v)], b: [0, 0] };
  /** An input with z = w·x equal to `z` (x along w / ‖w‖²). */
  const withMargin = (z: number) => w.map((v) => (v * z) / w.reduce((a, u) => a + u * u, 0));

  it('finds the grid ε where the decision flips, per sample, in batches', async () => {
    await using model = await linearModel(spec);
    const rows = [withMargin(0.37), withMargin(0.11), withMargin(5), withMargin(1.2), withMargin(-0.23)];
    const x = { data: Float32Array.from(rows.flat()), shape: [5, 1, 2, 2] };
    const rounds: string[] = [];
    const r = await minimalPerturbation(model, x, { attack: fgsm, max: 0.5, step: 0.01, batchSize: 2, onRound: (d, t) => rounds.push(`${d}/${t}`) });
    assert.deepEqual(r.targets, [0, 0, 0, 0, 1]);
    const expected = [0.19, 0.06, null, null, 0.12];
    r.epsilon.forEach((e, i) => {
      const want = expected[i] as number | null;
      if (want === null) assert.equal(e, null, `sample ${i}`);
      else assert.ok(e !== null && Math.abs(e - want) < 1e-9, `sample ${i}: ${e} vs ${want}`);
    });
    assert.deepEqual(r.predictions, [1, 1, 0, 0, 0]);
    // Where it succeeded, the adversarial input is FGSM at that ε; elsewhere the clean input.
    for (const i of [0, 1, 4]) {
      const one = await fgsm.perturb(model, sliceBatch(x, i, 1), { epsilon: r.epsilon[i] as number });
      assert.deepEqual([...sliceBatch(r.adversarial, i, 1).data], [...one.adversarial.data], `sample ${i}`);
    }
    assert.deepEqual([...sliceBatch(r.adversarial, 2, 1).data], [...sliceBatch(x, 2, 1).data]);
    assert.ok(r.rounds > 0 && rounds.at(-1) === '5/5');
  });

  it('gives the same search for every batch size, and stops when the signal fires', async () => {
    await using model = await linearModel(spec);
    const rows = [withMargin(0.37), withMargin(0.11), withMargin(5), withMargin(1.2), withMargin(-0.23)];
    const x = { data: Float32Array.from(rows.flat()), shape: [5, 1, 2, 2] };
    const run = (batchSize: number, o: { signal?: AbortSignal; onRound?: (d: number, t: number) => void } = {}) =>
      minimalPerturbation(model, x, { attack: fgsm, max: 0.5, step: 0.01, batchSize, ...o });
    const one = await run(1);
    for (const batchSize of [2, 3, 5, 8]) {
      const r = await run(batchSize);
      assert.deepEqual(r.epsilon, one.epsilon, `batch ${batchSize}`);
      assert.deepEqual(r.predictions, one.predictions, `batch ${batchSize}`);
      assert.deepEqual([...r.adversarial.data], [...one.adversarial.data], `batch ${batchSize}`);
    }
    const controller = new AbortController();
    let finishedAtAbort = 0;
    await assert.rejects(
      run(2, {
        signal: controller.signal,
        onRound: (done) => {
          if (done < 2) return;
          finishedAtAbort = done;
          controller.abort();
        },
      }),
      { code: 'ABORTED' },
    );
    assert.equal(finishedAtAbort, 2, 'the abort came when the first chunk of 2 was done, before any later round');
  });

  it('is 0 for a sample the model already gets wrong (ε = 0 leaves the input bounded but unattacked)', async () => {
    await using model = await linearModel(spec);
    const x = { data: Float32Array.from(withMargin(0.3)), shape: [1, 1, 2, 2] };
    const r = await minimalPerturbation(model, x, { attack: fgsm, target: 1, max: 0.5, step: 0.05, lower: -0.05, upper: 0.05 });
    assert.deepEqual(r.epsilon, [0]);
    assert.deepEqual([...r.adversarial.data], [...x.data].map((v) => Math.min(0.05, Math.max(-0.05, v))).map(Math.fround));
  });

  it('searches the PGD radius with a targeted attack: success means reaching the target', async () => {
    await using model = await tinyCnn();
    const x = normalInput([2, 3, 8, 8], 13);
    const r = await minimalPerturbation(model, x, { attack: pgd, target: [2, 3], targeted: true, steps: 5, max: 2, step: 0.02 });
    for (let i = 0; i < 2; i++) {
      const e = r.epsilon[i];
      assert.ok(e !== null && e !== undefined, `sample ${i} reaches its target below ε = 2`);
      assert.equal(r.predictions[i], r.targets[i]);
      // The search ends after ε − step failed (or ε is the grid's lower end): one step less does not reach the target.
      if (e > 0) {
        const below = await pgd.perturb(model, sliceBatch(x, i, 1), {
          epsilon: e - 0.02 > 0 ? e - 0.02 : 1e-9,
          target: r.targets[i],
          targeted: true,
          steps: 5,
        });
        assert.notEqual((await predictRows(model, below.adversarial))[0], r.targets[i], `sample ${i}: ε − step already succeeds`);
      }
    }
  });
});
