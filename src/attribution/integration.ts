/**
 * Integration rules for path methods (Integrated Gradients), with exactly Captum's alphas and
 * step sizes (`captum/attr/_utils/approximation_methods.py`).
 */
import { LucernaError, positiveInteger } from '../errors.js';

/** The integration rules, by CLI name. */
export const INTEGRATION_RULES = ['riemann-left', 'riemann-right', 'riemann-middle', 'riemann-trapezoid', 'gauss-legendre'] as const;
export type IntegrationRule = (typeof INTEGRATION_RULES)[number];

/** Points on the path (alphas in [0,1]) and their weights (step sizes). */
export interface Quadrature {
  readonly alphas: number[];
  readonly weights: number[];
}

function linspace(start: number, end: number, n: number): number[] {
  if (n === 1) return [start];
  return Array.from({ length: n }, (_, i) => start + ((end - start) * i) / (n - 1));
}

/** Legendre polynomials P_n(x) and P_{n−1}(x) by the three-term recurrence. */
function legendrePair(n: number, x: number): [number, number] {
  let previous = 1;
  let current = x;
  for (let k = 2; k <= n; k++) {
    const next = ((2 * k - 1) * x * current - (k - 1) * previous) / k;
    previous = current;
    current = next;
  }
  return [current, previous];
}

/**
 * Gauss–Legendre nodes and weights on [-1, 1] (Newton's method on Legendre polynomials).
 *
 * @example
 * ```ts
 * gaussLegendre(2); // { nodes: [-0.5773…, 0.5773…], weights: [1, 1] }
 * ```
 */
export function gaussLegendre(n: number): { nodes: number[]; weights: number[] } {
  const nodes = new Array<number>(n);
  const weights = new Array<number>(n);
  if (n === 1) return { nodes: [0], weights: [2] };
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let derivative = 1;
    for (let iter = 0; iter < 100; iter++) {
      const [pn, pnm1] = legendrePair(n, x);
      derivative = (n * (x * pn - pnm1)) / (x * x - 1);
      const dx = pn / derivative;
      x -= dx;
      if (Math.abs(dx) < 1e-15) break;
    }
    const [pn, pnm1] = legendrePair(n, x);
    derivative = (n * (x * pn - pnm1)) / (x * x - 1);
    const w = 2 / ((1 - x * x) * derivative * derivative);
    nodes[i] = -x;
    nodes[n - 1 - i] = x;
    weights[i] = w;
    weights[n - 1 - i] = w;
  }
  return { nodes, weights };
}

/**
 * The alphas and step sizes of an integration rule with `steps` points, as Captum computes them.
 *
 * @example
 * ```ts
 * quadrature('riemann-trapezoid', 32).weights[0]; // 1/64
 * ```
 */
export function quadrature(rule: IntegrationRule, steps: number): Quadrature {
  positiveInteger(steps, 'steps');
  switch (rule) {
    case 'riemann-left':
      return { alphas: linspace(0, 1 - 1 / steps, steps), weights: new Array(steps).fill(1 / steps) };
    case 'riemann-right':
      return { alphas: linspace(1 / steps, 1, steps), weights: new Array(steps).fill(1 / steps) };
    case 'riemann-middle':
      return { alphas: linspace(1 / (2 * steps), 1 - 1 / (2 * steps), steps), weights: new Array(steps).fill(1 / steps) };
    case 'riemann-trapezoid': {
      if (steps < 2) throw new LucernaError('BAD_OPTION', 'riemann-trapezoid needs at least 2 steps');
      const weights = new Array(steps).fill(1 / steps);
      weights[0] = 1 / (2 * steps);
      weights[steps - 1] = 1 / (2 * steps);
      return { alphas: linspace(0, 1, steps), weights };
    }
    case 'gauss-legendre': {
      const { nodes, weights } = gaussLegendre(steps);
      return { alphas: nodes.map((x) => 0.5 * (x + 1)), weights: weights.map((w) => 0.5 * w) };
    }
    default:
      throw new LucernaError('BAD_OPTION', `Unknown integration rule "${rule as string}"`, `Use one of ${INTEGRATION_RULES.join(', ')}`);
  }
}
