import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activationRules, clipRule, reluRule } from '../../src/compiler/rules/activations.js';
import { type AttrValue, float } from '../../src/onnx/attributes.js';
import { type GradCheckSpec, gradCheck, rng, uniform } from '../helpers/gradcheck.js';

/** Runs a finite-difference gradient check (as a test body: resolves to nothing). */
async function check(spec: GradCheckSpec): Promise<void> {
  await gradCheck(spec);
}

/** Random values in [lo, hi) that stay `margin` away from every kink, so finite differences are smooth. */
function awayFrom(n: number, kinks: readonly number[], seed: number, lo = -1, hi = 1, margin = 0.05): Float32Array {
  const random = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    do v = lo + (hi - lo) * random();
    while (kinks.some((k) => Math.abs(v - k) < margin));
    out[i] = v;
  }
  return out;
}

const SHAPE = [2, 3, 4, 4];
const SIZE = 2 * 3 * 4 * 4;

/** Checks a one-node graph `op(x)` at `values`. */
function checkUnary(op: string, attrs: Record<string, AttrValue>, values?: Float32Array, shape: readonly number[] = SHAPE) {
  return check({
    inputs: [{ name: 'x', shape, values }],
    output: 'y',
    build: (b) => b.op(op, ['x'], attrs, { outputs: ['y'] }),
  });
}

describe('piecewise-linear activations against finite differences', () => {
  it('keeps the exported names used by the rule sets', () => {
    assert.equal(activationRules.Relu, reluRule);
    assert.equal(activationRules.Clip, clipRule);
  });
  it('Relu', () => checkUnary('Relu', {}, awayFrom(SIZE, [0], 1)));
  it('LeakyRelu, default alpha', () => checkUnary('LeakyRelu', {}, awayFrom(SIZE, [0], 2)));
  it('LeakyRelu, alpha 0.2', () => checkUnary('LeakyRelu', { alpha: float(0.2) }, awayFrom(SIZE, [0], 3)));
  it('LeakyRelu, negative alpha', () => checkUnary('LeakyRelu', { alpha: float(-0.5) }, awayFrom(SIZE, [0], 4)));
  it('Elu, default alpha', () => checkUnary('Elu', {}, awayFrom(SIZE, [0], 5)));
  it('Elu, alpha 0.4', () => checkUnary('Elu', { alpha: float(0.4) }, awayFrom(SIZE, [0], 6, -3, 2)));
  it('Elu, negative alpha', () => checkUnary('Elu', { alpha: float(-0.7) }, awayFrom(SIZE, [0], 7, -3, 2)));
  it('HardSigmoid, defaults', () => checkUnary('HardSigmoid', {}, awayFrom(SIZE, [-2.5, 2.5], 8, -4, 4, 0.1)));
  it('HardSigmoid, alpha 0.5 beta 0.3', () => checkUnary('HardSigmoid', { alpha: float(0.5), beta: float(0.3) }, awayFrom(SIZE, [-0.6, 1.4], 9, -2, 2, 0.1)));
  it('HardSwish', () => checkUnary('HardSwish', {}, awayFrom(SIZE, [-3, 3], 10, -5, 5, 0.1)));
});

describe('PRelu against finite differences', () => {
  const x = { name: 'x', shape: SHAPE, values: awayFrom(SIZE, [0], 11) };
  it('per-channel slope initializer [C, 1, 1]', () =>
    check({
      inputs: [x],
      output: 'y',
      build: (b) => b.op('PRelu', ['x', b.weight('slope', [0.1, -0.4, 0.7], [3, 1, 1])], {}, { outputs: ['y'] }),
    }));
  it('single slope [1]', () => check({ inputs: [x], output: 'y', build: (b) => b.op('PRelu', ['x', b.weight('slope', [0.25], [1])], {}, { outputs: ['y'] }) }));
  it('slope broadcast on the last axis [W]', () =>
    check({
      inputs: [x],
      output: 'y',
      build: (b) => b.op('PRelu', ['x', b.weight('slope', [0.1, 0.2, -0.3, 0.9], [4])], {}, { outputs: ['y'] }),
    }));
  it('slope computed from an input: gradients w.r.t. data and slope', () =>
    check({
      inputs: [x, { name: 's', shape: [3, 1, 1] }],
      output: 'y',
      build: (b) => b.op('PRelu', ['x', 's'], {}, { outputs: ['y'] }),
    }));
});

describe('Clip against finite differences', () => {
  const kinks = [-0.3, 0.4];
  const x = { name: 'x', shape: SHAPE, values: awayFrom(SIZE, kinks, 12) };
  it('min only', () => check({ inputs: [x], output: 'y', build: (b) => b.op('Clip', ['x', b.weight('lo', [-0.3], [])], {}, { outputs: ['y'] }) }));
  it('max only (empty min input)', () =>
    check({ inputs: [x], output: 'y', build: (b) => b.op('Clip', ['x', '', b.weight('hi', [0.4], [])], {}, { outputs: ['y'] }) }));
  it('min and max', () =>
    check({
      inputs: [x],
      output: 'y',
      build: (b) => b.op('Clip', ['x', b.weight('lo', [-0.3], []), b.weight('hi', [0.4], [])], {}, { outputs: ['y'] }),
    }));
  it('no bounds', () => check({ inputs: [x], output: 'y', build: (b) => b.op('Clip', ['x'], {}, { outputs: ['y'] }) }));
  it('ReLU6', () =>
    check({
      inputs: [{ name: 'x', shape: SHAPE, values: awayFrom(SIZE, [0, 6], 13, -8, 8, 0.1) }],
      output: 'y',
      build: (b) => b.op('Clip', ['x', b.weight('lo', [0], []), b.weight('hi', [6], [])], {}, { outputs: ['y'] }),
    }));
  it('bounds computed from inputs: gradients w.r.t. x, min and max', () =>
    check({
      inputs: [x, { name: 'lo', shape: [], values: new Float32Array([-0.3]) }, { name: 'hi', shape: [], values: new Float32Array([0.4]) }],
      output: 'y',
      build: (b) => b.op('Clip', ['x', 'lo', 'hi'], {}, { outputs: ['y'] }),
    }));
  it('min above max (every output is max): gradients w.r.t. x, min and max', () =>
    check({
      inputs: [x, { name: 'lo', shape: [], values: new Float32Array([0.4]) }, { name: 'hi', shape: [], values: new Float32Array([-0.3]) }],
      output: 'y',
      build: (b) => b.op('Clip', ['x', 'lo', 'hi'], {}, { outputs: ['y'] }),
    }));
});

describe('smooth activations against finite differences', () => {
  const wide = uniform(SIZE, rng(14), -3, 3);
  it('Sigmoid', () => checkUnary('Sigmoid', {}, wide));
  it('Tanh', () => checkUnary('Tanh', {}, wide));
  it('Erf', () => checkUnary('Erf', {}, uniform(SIZE, rng(15), -2, 2)));
});

describe('Softmax and LogSoftmax against finite differences', () => {
  const x = uniform(SIZE, rng(16), -2, 2);
  for (const op of ['Softmax', 'LogSoftmax']) {
    it(`${op}, default axis (-1)`, () => checkUnary(op, {}, x));
    it(`${op}, axis 1`, () => checkUnary(op, { axis: 1 }, x));
    it(`${op}, axis 0`, () => checkUnary(op, { axis: 0 }, x));
    it(`${op}, axis -2`, () => checkUnary(op, { axis: -2 }, x));
    it(`${op}, 2-D logits`, () => checkUnary(op, { axis: 1 }, uniform(10, rng(17), -2, 2), [2, 5]));
  }
});

describe('Sqrt', () => {
  it('dX = dY / (2·sqrt(X)) on positive inputs', async () => {
    const values = Float32Array.from({ length: 24 }, (_, i) => 0.5 + i * 0.1);
    await gradCheck({ inputs: [{ name: 'x', shape: [2, 3, 4], values }], output: 'y', build: (b) => b.op('Sqrt', ['x'], {}, { outputs: ['y'] }) });
  });
});
