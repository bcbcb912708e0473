import assert from 'node:assert/strict';
import { it } from 'node:test';
import { gaussLegendre, INTEGRATION_RULES, quadrature } from '../../src/attribution/integration.js';
import { oracle } from '../helpers/oracle.js';

it("integration rules reproduce Captum's alphas and step sizes (32 steps, from the oracle manifest)", () => {
  const manifest = Object.values(oracle().models)[0]!.ig_approximation_n_steps_32;
  for (const [captum, ours] of [
    ['gausslegendre', 'gauss-legendre'],
    ['riemann_trapezoid', 'riemann-trapezoid'],
  ] as const) {
    const q = quadrature(ours, 32);
    const ref = manifest[captum]!;
    for (const [i, a] of q.alphas.entries()) assert.ok(Math.abs(a - (ref.alphas[i] as number)) < 1e-7, `${ours} alpha ${i}`);
    for (const [i, w] of q.weights.entries()) assert.ok(Math.abs(w - (ref.step_sizes[i] as number)) < 1e-12, `${ours} weight ${i}`);
  }
});

it('every rule integrates x² on [0,1] to 1/3 as the step count grows, and weights sum as Captum', () => {
  for (const rule of INTEGRATION_RULES) {
    const q = quadrature(rule, 400);
    const integral = q.alphas.reduce((s, a, i) => s + (q.weights[i] as number) * a * a, 0);
    assert.ok(Math.abs(integral - 1 / 3) < 3e-3, `${rule}: ${integral}`);
  }
  assert.ok(Math.abs(quadrature('riemann-trapezoid', 32).weights.reduce((a, b) => a + b) - 31 / 32) < 1e-12);
});

it('Gauss–Legendre is exact for polynomials of degree 2n−1', () => {
  for (const n of [1, 2, 3, 5, 8]) {
    const { nodes, weights } = gaussLegendre(n);
    const degree = 2 * n - 1;
    const integral = nodes.reduce((s, x, i) => s + (weights[i] as number) * x ** (degree - 1), 0);
    const exact = (degree - 1) % 2 === 0 ? 2 / degree : 0;
    assert.ok(Math.abs(integral - exact) < 1e-12, `n=${n}: ${integral} vs ${exact}`);
  }
});

it('bad step counts are errors', () => {
  assert.throws(() => quadrature('riemann-left', 0), /steps must be a positive integer/);
  assert.throws(() => quadrature('riemann-trapezoid', 1), /at least 2 steps/);
});
