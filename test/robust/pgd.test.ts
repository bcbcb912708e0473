import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLucernaError } from '../../src/errors.js';
import type { AttackChunk } from '../../src/robust/attack-loop.js';
import { attackOutcome } from '../../src/robust/evaluate.js';
import { fgsm } from '../../src/robust/fgsm.js';
import { pgd, randomStart } from '../../src/robust/pgd.js';
import { normalFrom, seededRandom } from '../../src/tensor/random.js';
import { sliceBatch } from '../../src/tensor/tensor.js';
import { type Linear, linearLossGradient, linearModel, normalInput, tinyCnn } from './fixtures.js';

const f = Math.fround;

const LINEAR: Linear = {
  shape: [1, 2, 2],
  w: [
    [1.0, -2.0, 0.3, 0.5],
    [-0.5, 1.5, -0.8, -1.0],
    [0.25, 0.75, 1.1, 2.0],
  ],
  b: [0.1, -0.2, 0.05],
};

interface Run {
  epsilon: number;
  stepSize: number;
  steps: number;
  norm: 'linf' | 'l2';
  direction: 1 | -1;
  lower: number;
  upper: number;
}

/** PGD from its definition (Captum 0.8): unbounded sign step, projection around x0, bound; float32 values. */
function reference(spec: Linear, x0: readonly number[], target: number, r: Run): number[] {
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const origin = x0.map(f);
  let x = [...origin];
  for (let s = 0; s < r.steps; s++) {
    const g = linearLossGradient(spec, x, target);
    for (const gi of g) assert.ok(Math.abs(gi) > 1e-4, 'the fixture keeps gradients away from the threshold');
    const stepped = x.map((v, i) => f(v + r.direction * f(r.stepSize) * Math.sign(g[i] as number)));
    const diff = stepped.map((v, i) => f(v - (origin[i] as number)));
    let projected: number[];
    if (r.norm === 'linf') projected = diff.map((d) => clamp(d, -f(r.epsilon), f(r.epsilon)));
    else {
      const norm = Math.sqrt(diff.reduce((a, d) => a + d * d, 0));
      const factor = norm > r.epsilon ? r.epsilon / (norm + 1e-7) : 1;
      projected = diff.map((d) => f(d * factor));
    }
    x = projected.map((d, i) => clamp(f((origin[i] as number) + d), f(r.lower), f(r.upper)));
  }
  return x;
}

describe('PGD', () => {
  const x0 = [0.3, -0.2, 0.9, 0.1]; // value 2 starts above the upper bound 0.8
  const runs: [string, Run, number][] = [
    ['L∞, untargeted, unbounded', { epsilon: 0.15, stepSize: 0.06, steps: 4, norm: 'linf', direction: 1, lower: -Infinity, upper: Infinity }, 0],
    ['L∞, targeted, bounded', { epsilon: 0.15, stepSize: 0.06, steps: 4, norm: 'linf', direction: -1, lower: -0.5, upper: 0.8 }, 2],
    ['L2, untargeted, bounded', { epsilon: 0.2, stepSize: 0.07, steps: 5, norm: 'l2', direction: 1, lower: -0.5, upper: 0.8 }, 0],
    ['L2, targeted, unbounded', { epsilon: 0.3, stepSize: 0.1, steps: 6, norm: 'l2', direction: -1, lower: -Infinity, upper: Infinity }, 1],
  ];
  for (const [label, run, target] of runs) {
    it(`matches the definition step by step: ${label}`, async () => {
      await using model = await linearModel(LINEAR);
      const result = await pgd.perturb(
        model,
        { data: Float32Array.from(x0), shape: [1, 1, 2, 2] },
        {
          epsilon: run.epsilon,
          stepSize: run.stepSize,
          steps: run.steps,
          norm: run.norm,
          target,
          targeted: run.direction === -1,
          lower: run.lower === -Infinity ? undefined : run.lower,
          upper: run.upper === Infinity ? undefined : run.upper,
        },
      );
      assert.deepEqual([...result.adversarial.data], reference(LINEAR, x0, target, run));
    });
  }

  it('is FGSM projected when it takes one step of size ε (L∞)', async () => {
    await using model = await tinyCnn();
    const x = normalInput([4, 3, 8, 8], 3);
    const one = await pgd.perturb(model, x, { epsilon: 0.05, stepSize: 0.05, steps: 1, lower: -1, upper: 1 });
    const f1 = await fgsm.perturb(model, x, { epsilon: 0.05, lower: -1, upper: 1 });
    assert.deepEqual([...one.adversarial.data], [...f1.adversarial.data]);
  });

  it('with more steps never has a lower loss than FGSM at the same ε (toy CNN)', async () => {
    await using model = await tinyCnn();
    const x = normalInput([16, 3, 8, 8], 21);
    for (const epsilon of [0.02, 0.05, 0.1, 0.3]) {
      const single = await fgsm.perturb(model, x, { epsilon });
      const base = (await attackOutcome(model, single.adversarial, single)).loss;
      for (const steps of [10, 20]) {
        const multi = await pgd.perturb(model, x, { epsilon, steps, target: single.targets });
        const loss = (await attackOutcome(model, multi.adversarial, multi)).loss;
        loss.forEach((l, i) => {
          assert.ok(l >= (base[i] as number) - 1e-6, `ε ${epsilon}, ${steps} steps, sample ${i}: PGD ${l} < FGSM ${base[i]}`);
        });
      }
    }
  });

  it('on a two-class linear model, more steps never lower the loss, and reach FGSM once steps · step ≥ ε', async () => {
    // With two classes, sign(∇loss) = sign((p − onehot)ᵀW) is the same everywhere, so every sign
    // step moves toward FGSM's corner of the ball: the loss grows with the steps until it is there.
    const spec: Linear = {
      shape: [1, 2, 2],
      w: [
        [0.6, -1.2, 0.4, 0.9],
        [-0.3, 0.5, -0.7, 0.2],
      ],
      b: [0.2, -0.1],
    };
    await using model = await linearModel(spec);
    const x = { data: Float32Array.from([0.5, -0.4, 0.2, 0.3]), shape: [1, 1, 2, 2] };
    const single = await fgsm.perturb(model, x, { epsilon: 0.2 });
    const fgsmLoss = (await attackOutcome(model, single.adversarial, single)).loss[0] as number;
    let previous = -Infinity;
    for (const steps of [1, 2, 3, 4, 5, 8]) {
      const r = await pgd.perturb(model, x, { epsilon: 0.2, stepSize: 0.05, steps });
      const loss = (await attackOutcome(model, r.adversarial, r)).loss[0] as number;
      assert.ok(loss >= previous, `${steps} steps: the loss fell`);
      if (steps * 0.05 >= 0.2) assert.ok(Math.abs(loss - fgsmLoss) < 1e-6, `${steps} steps reach FGSM's loss`);
      else assert.ok(loss < fgsmLoss, `${steps} steps stay below FGSM's loss`);
      previous = loss;
    }
  });

  it('a batch with per-sample targets, ε and step sizes equals the samples one by one', async () => {
    await using model = await tinyCnn();
    const x = normalInput([3, 3, 8, 8], 4);
    const options = { target: [1, 0, 3], epsilon: [0.05, 0.1, 0.2], stepSize: [0.01, 0.03, 0.05], steps: 5, norm: 'l2' as const };
    const batched = await pgd.perturb(model, x, { ...options, batchSize: 2 });
    for (let i = 0; i < 3; i++) {
      const one = await pgd.perturb(model, sliceBatch(x, i, 1), {
        ...options,
        target: options.target[i],
        epsilon: options.epsilon[i] as number,
        stepSize: options.stepSize[i] as number,
      });
      assert.deepEqual([...sliceBatch(batched.adversarial, i, 1).data], [...one.adversarial.data], `sample ${i}`);
    }
  });

  describe('random start', () => {
    it('is reproducible from its seed, independent of the batch size, and stays in the ball and the bounds', async () => {
      await using model = await tinyCnn();
      const x = normalInput([3, 3, 8, 8], 8, 0.5);
      const options = { epsilon: 0.1, steps: 3, randomStart: true, seed: 5, lower: -1, upper: 1 };
      const a = await pgd.perturb(model, x, options);
      const b = await pgd.perturb(model, x, { ...options, batchSize: 1 });
      const c = await pgd.perturb(model, x, { ...options, seed: 6 });
      const plain = await pgd.perturb(model, x, { ...options, randomStart: false });
      assert.deepEqual([...a.adversarial.data], [...b.adversarial.data]);
      assert.notDeepEqual([...a.adversarial.data], [...c.adversarial.data]);
      assert.notDeepEqual([...a.adversarial.data], [...plain.adversarial.data]);
      const clamp = (v: number) => Math.min(1, Math.max(-1, v));
      a.adversarial.data.forEach((v, i) => {
        const xi = x.data[i] as number;
        assert.ok(v >= clamp(xi - 0.1 - 1e-6) && v <= clamp(xi + 0.1 + 1e-6), `value ${i}: ${v} outside the bounded ball around ${xi}`);
      });
    });

    function chunkOf(count: number, per: number, epsilon: number): AttackChunk {
      const original = new Float32Array(count * per);
      return {
        first: 0,
        count,
        per,
        original,
        current: original.slice(),
        epsilon: new Array(count).fill(epsilon),
        direction: 1,
        lower: -Infinity,
        upper: Infinity,
        gradient: () => Promise.reject(new Error('not used')),
      };
    }

    it('draws L∞ points uniformly in the cube [−ε, ε]', () => {
      const c = chunkOf(200, 50, 0.5);
      const uniform = seededRandom(1);
      randomStart(c, 'linf', uniform, normalFrom(uniform));
      const v = [...c.current];
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
      assert.ok(Math.max(...v.map(Math.abs)) <= 0.5);
      assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
      assert.ok(Math.abs(variance - 0.25 / 3) < 0.003, `variance ${variance} vs ε²/3`);
    });

    it('draws L2 points uniformly in the ball: (r/ε)^d is uniform, directions are isotropic', () => {
      const d = 3;
      const c = chunkOf(4000, d, 2);
      const uniform = seededRandom(2);
      randomStart(c, 'l2', uniform, normalFrom(uniform));
      const u: number[] = [];
      const sum = [0, 0, 0];
      for (let r = 0; r < 4000; r++) {
        const p = [...c.current.subarray(r * d, (r + 1) * d)];
        const norm = Math.hypot(...p);
        assert.ok(norm <= 2 * (1 + 1e-6));
        u.push((norm / 2) ** d);
        p.forEach((v, k) => {
          sum[k] = (sum[k] as number) + v / norm;
        });
      }
      u.sort((a, b) => a - b);
      const ks = Math.max(...u.map((v, i) => Math.max(Math.abs(v - i / u.length), Math.abs(v - (i + 1) / u.length))));
      assert.ok(ks < 0.03, `Kolmogorov–Smirnov distance ${ks}`);
      for (const s of sum) assert.ok(Math.abs(s / 4000) < 0.04, `mean direction ${s / 4000}`);
    });
  });

  describe('bad input is a one-line error', () => {
    const x = normalInput([1, 3, 8, 8], 1);
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['steps 0', { epsilon: 0.1, steps: 0 }, /steps must be an integer ≥ 1, got 0/],
      ['fractional steps', { epsilon: 0.1, steps: 1.5 }, /steps must be an integer/],
      ['an unknown norm', { epsilon: 0.1, norm: 'l1' }, /Unknown norm "l1"/],
      ['step size 0', { epsilon: 0.1, stepSize: 0 }, /the step size must be a finite number > 0/],
      ['ε ≤ 0', { epsilon: -1 }, /epsilon must be a finite number > 0/],
    ];
    for (const [label, options, message] of cases) {
      it(label, async () => {
        await using model = await tinyCnn();
        await assert.rejects(pgd.perturb(model, x, options as never), (e) => isLucernaError(e, 'BAD_OPTION') && message.test(e.message));
      });
    }
  });
});
