/**
 * The update rules alone: hand-computed steps of PyTorch's formulas, and the ONNX emitters against
 * the float32 reference over several steps.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeRuntime } from '../../src/engine/node.js';
import { buildModel } from '../../src/onnx/builder.js';
import { adam, adamw, DEFAULT_HYPER, type Optimizer, type OptimizerHyper, optimizerByName, sgd } from '../../src/training/optimizers/index.js';
import { rng, uniform } from '../helpers/gradcheck.js';

const f = (...v: number[]) => new Float32Array(v);
const close = (got: Float32Array, want: readonly number[], tol = 1e-6) => {
  assert.equal(got.length, want.length);
  for (const [i, g] of got.entries()) assert.ok(Math.abs(g - (want[i] as number)) <= tol, `[${i}] ${g} vs ${want[i]}`);
};

/** Runs `steps` reference updates with a fixed gradient. */
function run(opt: Optimizer, hyper: OptimizerHyper, p0: number[], g: number[], lr: number, steps: number): Float32Array {
  let param: Float32Array = f(...p0);
  let state: Record<string, Float32Array> = Object.fromEntries(opt.slots(hyper).map((s) => [s, new Float32Array(p0.length)]));
  for (let t = 1; t <= steps; t++) {
    const r = opt.update({ param, grad: f(...g), state }, hyper, opt.scalars(hyper, { lr, step: t }));
    param = r.param;
    state = r.state as Record<string, Float32Array>;
  }
  return param;
}

describe('update rules, hand-computed', () => {
  it('SGD: p − lr·g', () => close(run(sgd, DEFAULT_HYPER, [1, 2], [0.5, -1], 0.1, 1), [0.95, 2.1]));
  it('SGD with momentum 0.9 and weight decay 0.1, two steps', () => {
    // g1 = 1 + 0.1 = 1.1, b = 1.1, p = 0.89; g2 = 1 + 0.089 = 1.089, b = 0.99 + 1.089 = 2.079, p = 0.89 − 0.2079
    close(run(sgd, { ...DEFAULT_HYPER, momentum: 0.9, weightDecay: 0.1 }, [1], [1], 0.1, 2), [0.6821]);
  });
  it('SGD Nesterov: p − lr·(g + μ·b)', () => {
    // step 1: b = 1, d = 1.9; step 2: b = 1.9, d = 1 + 1.71 = 2.71 → p = 1 − 0.19 − 0.271
    close(run(sgd, { ...DEFAULT_HYPER, momentum: 0.9, nesterov: true }, [1], [1], 0.1, 2), [0.539]);
  });
  it('Adam: the first step moves every weight by lr against the sign of its gradient', () => {
    close(run(adam, DEFAULT_HYPER, [1, -1], [2, -0.5], 0.01, 1), [0.99, -0.99], 1e-7);
  });
  it('Adam, two steps with a constant gradient: bias correction keeps the step at lr', () => {
    close(run(adam, DEFAULT_HYPER, [1], [3], 0.01, 2), [0.98], 1e-7);
  });
  it('AdamW decays p·(1 − lr·wd) before the Adam step', () => {
    close(run(adamw, { ...DEFAULT_HYPER, weightDecay: 0.1 }, [1], [2], 0.01, 1), [0.999 - 0.01], 1e-7);
  });
  it('Adam with weight decay adds wd·p to the gradient (L2)', () => {
    // g = 2 + 0.1·1; the first step is still lr·sign(g)
    close(run(adam, { ...DEFAULT_HYPER, weightDecay: 0.1 }, [1], [2], 0.01, 1), [0.99], 1e-7);
  });
  it('unknown optimizer names fail clearly', () => {
    assert.throws(() => optimizerByName('rmsprop'), /Unknown optimizer "rmsprop".*/);
  });
});

/** The emitted update as a one-update ONNX graph, run by ORT. */
async function emittedSteps(opt: Optimizer, hyper: OptimizerHyper, n: number, steps: number, lr: number) {
  const slots = opt.slots(hyper);
  const scalarNames = Object.keys(opt.scalars(hyper, { lr: 1, step: 1 }));
  const outputs = ['p_next', ...slots.map((s) => `${s}_next`)];
  const bytes = buildModel({
    inputs: [
      { name: 'p', dims: [n] },
      { name: 'g', dims: [n] },
      ...slots.map((s) => ({ name: s, dims: [n] })),
      ...scalarNames.map((s) => ({ name: `s_${s}`, dims: [] })),
    ],
    outputs,
    build: (b) => {
      const r = opt.emit(
        b,
        { param: 'p', grad: 'g', state: Object.fromEntries(slots.map((s) => [s, s])) },
        hyper,
        Object.fromEntries(scalarNames.map((s) => [s, `s_${s}`])),
      );
      b.op('Identity', [r.param], {}, { outputs: ['p_next'] });
      for (const s of slots) b.op('Identity', [r.state[s] as string], {}, { outputs: [`${s}_next`] });
    },
  });
  const session = await nodeRuntime.createSession(bytes, { optimization: 'disabled' });
  const random = rng(5);
  let param = uniform(n, random);
  let state: Record<string, Float32Array> = Object.fromEntries(slots.map((s) => [s, new Float32Array(n)]));
  let ref = { param, state };
  try {
    for (let t = 1; t <= steps; t++) {
      const grad = uniform(n, random);
      const scalars = opt.scalars(hyper, { lr, step: t });
      const feeds: Record<string, { data: Float32Array; shape: readonly number[] }> = { p: { data: param, shape: [n] }, g: { data: grad, shape: [n] } };
      for (const s of slots) feeds[s] = { data: state[s] as Float32Array, shape: [n] };
      for (const s of scalarNames) feeds[`s_${s}`] = { data: f(scalars[s] as number), shape: [] };
      const out = await session.run(feeds);
      param = out.p_next?.data as Float32Array;
      state = Object.fromEntries(slots.map((s) => [s, out[`${s}_next`]?.data as Float32Array]));
      ref = opt.update({ param: ref.param, grad, state: ref.state }, hyper, scalars) as typeof ref;
    }
  } finally {
    await session.dispose();
  }
  return { emitted: param, reference: ref.param };
}

describe('ONNX emitters match the reference rules', () => {
  const cases: [string, Optimizer, OptimizerHyper, number][] = [
    ['sgd', sgd, DEFAULT_HYPER, 0.1],
    ['sgd momentum + wd', sgd, { ...DEFAULT_HYPER, momentum: 0.9, weightDecay: 5e-4 }, 0.05],
    ['sgd nesterov', sgd, { ...DEFAULT_HYPER, momentum: 0.9, nesterov: true }, 0.05],
    ['adam + L2', adam, { ...DEFAULT_HYPER, weightDecay: 1e-2 }, 1e-3],
    ['adamw', adamw, { ...DEFAULT_HYPER, weightDecay: 1e-2 }, 1e-3],
  ];
  for (const [name, opt, hyper, lr] of cases) {
    it(name, async () => {
      const { emitted, reference } = await emittedSteps(opt, hyper, 64, 5, lr);
      for (const [i, v] of emitted.entries())
        assert.ok(Math.abs(v - (reference[i] as number)) <= 1e-6 * Math.max(1, Math.abs(v)), `[${i}] ${v} vs ${reference[i]}`);
    });
  }
});
