import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bound, projectL2, projectLinf, signStep } from '../../src/robust/steps.js';

const f = Math.fround;

describe('sign step', () => {
  it('steps by ±ε where |g| > 1e-6, in float32, and leaves the rest', () => {
    const x = Float32Array.from([1, 1, 1, 1, 1, 1]);
    const g = Float32Array.from([0.5, -0.5, 1e-6, -1e-6, 1.01e-6, 0]);
    signStep(x, g, 0, 6, 0.1, 1);
    assert.deepEqual([...x], [f(1 + f(0.1)), f(1 - f(0.1)), 1, 1, f(1 + f(0.1)), 1]);
  });
  it('goes against the gradient for a targeted step, and only inside [from, to)', () => {
    const x = Float32Array.from([0, 0, 0, 0]);
    signStep(x, Float32Array.from([1, 1, -1, 1]), 1, 3, 0.25, -1);
    assert.deepEqual([...x], [0, -0.25, 0.25, 0]);
  });
});

describe('bound', () => {
  it('clamps to float32 bounds, and does nothing without bounds', () => {
    const x = Float32Array.from([-3, 0.5, 3]);
    bound(x, 0, 3, -Infinity, Infinity);
    assert.deepEqual([...x], [-3, 0.5, 3]);
    bound(x, 0, 3, -1, 0.1);
    assert.deepEqual([...x], [-1, f(0.1), f(0.1)]);
  });
});

describe('projections onto the ε-ball around the original input', () => {
  it('L∞ clamps the difference to [−ε, ε]', () => {
    const x0 = Float32Array.from([1, 1, 1]);
    const x = Float32Array.from([1.5, 0.2, 1.05]);
    projectLinf(x, x0, 0, 3, 0.1);
    assert.deepEqual([...x], [f(1 + f(0.1)), f(1 - f(0.1)), f(1 + f(f(1.05) - 1))]);
  });
  it('L2 rescales a difference longer than ε by ε / (norm + 1e-7), as torch.renorm', () => {
    const x0 = Float32Array.from([0, 0, 10, 10]);
    const x = Float32Array.from([3, 4, 10.25, 10]);
    projectL2(x, x0, 0, 2, 1); // first sample: |(3, 4)| = 5 > 1
    projectL2(x, x0, 2, 4, 1); // second sample: |(0.25, 0)| ≤ 1, kept
    const factor = 1 / (5 + 1e-7);
    assert.deepEqual([...x], [f(3 * factor), f(4 * factor), 10.25, 10]);
    assert.notEqual(f(3 * factor), f(3 / 5)); // the 1e-7 matters at float32 precision
  });
});
