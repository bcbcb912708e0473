import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cholesky, choleskySolve, constrainedLeastSquares, type Matrix, solveSymmetric, weightedRidge } from '../../src/attribution/perturbation/regression.js';
import { isLucernaError } from '../../src/errors.js';
import { seededRandom } from '../../src/tensor/random.js';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

/** Gaussian elimination with partial pivoting: the slow, independent reference solver. */
function gaussSolve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i] as number]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]?.[c] as number) > Math.abs(m[pivot]?.[c] as number)) pivot = r;
    [m[c], m[pivot]] = [m[pivot] as number[], m[c] as number[]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = (m[r]?.[c] as number) / (m[c]?.[c] as number);
      for (let k = c; k <= n; k++) (m[r] as number[])[k] = (m[r]?.[k] as number) - f * (m[c]?.[k] as number);
    }
  }
  return m.map((row, i) => (row[n] as number) / (row[i] as number));
}

function randomProblem(rows: number, cols: number, seed: number, binary = false): { x: Matrix; y: Float64Array; w: Float64Array } {
  const next = seededRandom(seed);
  const data = new Float64Array(rows * cols).map(() => (binary ? (next() < 0.5 ? 1 : 0) : 2 * next() - 1));
  const y = new Float64Array(rows).map(() => 3 * next() - 1);
  const w = new Float64Array(rows).map(() => 0.1 + next());
  return { x: { rows, cols, data }, y, w };
}

const at = (x: Matrix, i: number, j: number) => x.data[i * x.cols + j] as number;

describe('cholesky', () => {
  it('factorises a known matrix and solves with it', () => {
    const a = Float64Array.of(4, 2, 2, 3);
    const l = cholesky(a, 2) as Float64Array;
    [2, 0, 1, Math.SQRT2].forEach((v, i) => {
      close(l[i] as number, v);
    });
    const x = choleskySolve(l, 2, [2, 5]);
    const want = gaussSolve(
      [
        [4, 2],
        [2, 3],
      ],
      [2, 5],
    );
    want.forEach((v, i) => {
      close(x[i] as number, v);
    });
  });

  it('reports a matrix that is not positive definite', () => {
    assert.equal(cholesky(Float64Array.of(1, 2, 2, 1), 2), undefined);
    assert.equal(cholesky(Float64Array.of(1, 1, 1, 1), 2), undefined);
  });

  it('solveSymmetric regularises a singular system towards the minimum-norm solution', () => {
    // x1 + x2 = 2 seen twice: every x with x1 + x2 = 2 solves it; the minimum-norm one is [1, 1].
    const { x, jitter } = solveSymmetric(Float64Array.of(2, 2, 2, 2), 2, [4, 4]);
    assert.ok(jitter > 0);
    close(x[0] as number, 1, 1e-6);
    close(x[1] as number, 1, 1e-6);
  });
});

describe('weightedRidge', () => {
  it('with alpha 0 recovers an exact linear model and its intercept (R² = 1)', () => {
    const { x, w } = randomProblem(40, 5, 1);
    const beta = [0.5, -2, 1.25, 0, 3];
    const y = Array.from({ length: 40 }, (_, i) => 0.7 + beta.reduce((s, b, j) => s + b * at(x, i, j), 0));
    const fit = weightedRidge(x, y, w, { alpha: 0 });
    beta.forEach((b, j) => {
      close(fit.coef[j] as number, b, 1e-9);
    });
    close(fit.intercept, 0.7, 1e-9);
    close(fit.r2, 1, 1e-12);
  });

  it('equals the closed form (XcᵀWXc + αI)⁻¹XcᵀWyc with weighted centring', () => {
    const { x, y, w } = randomProblem(30, 4, 2, true);
    const alpha = 1;
    const sw = w.reduce((a, b) => a + b, 0);
    const xm = Array.from({ length: 4 }, (_, j) => w.reduce((s, wi, i) => s + wi * at(x, i, j), 0) / sw);
    const ym = w.reduce((s, wi, i) => s + wi * (y[i] as number), 0) / sw;
    const a = Array.from({ length: 4 }, (_, j) =>
      Array.from(
        { length: 4 },
        (_, k) => w.reduce((s, wi, i) => s + wi * (at(x, i, j) - (xm[j] as number)) * (at(x, i, k) - (xm[k] as number)), 0) + (j === k ? alpha : 0),
      ),
    );
    const b = Array.from({ length: 4 }, (_, j) => w.reduce((s, wi, i) => s + wi * (at(x, i, j) - (xm[j] as number)) * ((y[i] as number) - ym), 0));
    const want = gaussSolve(a, b);
    const fit = weightedRidge(x, y, w, { alpha });
    want.forEach((v, j) => {
      close(fit.coef[j] as number, v, 1e-10);
    });
    close(fit.intercept, ym - want.reduce((s, v, j) => s + v * (xm[j] as number), 0), 1e-10);
    const pred = (i: number) => fit.intercept + want.reduce((s, v, j) => s + v * at(x, i, j), 0);
    const sse = w.reduce((s, wi, i) => s + wi * ((y[i] as number) - pred(i)) ** 2, 0);
    const sst = w.reduce((s, wi, i) => s + wi * ((y[i] as number) - ym) ** 2, 0);
    close(fit.r2, 1 - sse / sst, 1e-10);
  });

  it('one feature: β = Σw·xc·yc / (Σw·xc² + α), shrinking with α', () => {
    const x: Matrix = { rows: 4, cols: 1, data: [0, 1, 2, 3] };
    const y = [1, 2, 2, 5];
    const w = [1, 2, 1, 0.5];
    const sw = 4.5;
    const xm = (0 + 2 + 2 + 1.5) / sw;
    const ym = (1 + 4 + 2 + 2.5) / sw;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < 4; i++) {
      sxy += (w[i] as number) * ((x.data[i] as number) - xm) * ((y[i] as number) - ym);
      sxx += (w[i] as number) * ((x.data[i] as number) - xm) ** 2;
    }
    for (const alpha of [0, 1, 10]) {
      const fit = weightedRidge(x, y, w, { alpha });
      close(fit.coef[0] as number, sxy / (sxx + alpha), 1e-12);
      close(fit.intercept, ym - xm * (sxy / (sxx + alpha)), 1e-12);
    }
  });

  it('without an intercept solves XᵀWX β = XᵀWy', () => {
    const { x, y, w } = randomProblem(25, 3, 3);
    const a = [0, 1, 2].map((j) => [0, 1, 2].map((k) => w.reduce((s, wi, i) => s + wi * at(x, i, j) * at(x, i, k), 0)));
    const b = [0, 1, 2].map((j) => w.reduce((s, wi, i) => s + wi * at(x, i, j) * (y[i] as number), 0));
    const fit = weightedRidge(x, y, w, { alpha: 0, intercept: false });
    gaussSolve(a, b).forEach((v, j) => {
      close(fit.coef[j] as number, v, 1e-10);
    });
    assert.equal(fit.intercept, 0);
  });

  it('rejects inconsistent sizes, negative weights and a bad alpha', () => {
    const x: Matrix = { rows: 2, cols: 1, data: [0, 1] };
    assert.throws(
      () => weightedRidge(x, [1], [1, 1]),
      (e) => isLucernaError(e, 'BAD_SHAPE'),
    );
    assert.throws(
      () => weightedRidge(x, [1, 2], [1, -1]),
      (e) => isLucernaError(e, 'BAD_OPTION'),
    );
    assert.throws(
      () => weightedRidge(x, [1, 2], [1, 1], { alpha: -1 }),
      (e) => isLucernaError(e, 'BAD_OPTION'),
    );
    assert.throws(
      () => weightedRidge(x, [1, 2], [0, 0]),
      (e) => isLucernaError(e, 'BAD_OPTION'),
    );
  });
});

describe('constrainedLeastSquares', () => {
  it('equals the Lagrange (KKT) solution and meets the constraint to rounding', () => {
    const { x, y, w } = randomProblem(60, 6, 4, true);
    const total = 2.5;
    const k = 6;
    // KKT system: [2XᵀWX 1; 1ᵀ 0] [β; λ] = [2XᵀWy; total]
    const a: number[][] = [];
    const b: number[] = [];
    for (let j = 0; j < k; j++) {
      a.push([...Array.from({ length: k }, (_, l) => 2 * w.reduce((s, wi, i) => s + wi * at(x, i, j) * at(x, i, l), 0)), 1]);
      b.push(2 * w.reduce((s, wi, i) => s + wi * at(x, i, j) * (y[i] as number), 0));
    }
    a.push([...new Array<number>(k).fill(1), 0]);
    b.push(total);
    const want = gaussSolve(a, b).slice(0, k);
    const { x: beta, jitter } = constrainedLeastSquares(x, y, w, total);
    assert.equal(jitter, 0);
    want.forEach((v, j) => {
      close(beta[j] as number, v, 1e-9);
    });
    close(
      beta.reduce((s, v) => s + v, 0),
      total,
      1e-14,
    );
  });

  it('recovers exact coefficients that already meet the constraint', () => {
    const { x, w } = randomProblem(50, 4, 5, true);
    const beta = [1, -0.5, 2, 0.25];
    const y = Array.from({ length: 50 }, (_, i) => beta.reduce((s, v, j) => s + v * at(x, i, j), 0));
    const { x: got } = constrainedLeastSquares(x, y, w, 2.75);
    beta.forEach((v, j) => {
      close(got[j] as number, v, 1e-10);
    });
  });

  it('a single column is the total', () => {
    assert.deepEqual([...constrainedLeastSquares({ rows: 0, cols: 1, data: [] }, [], [], 3).x], [3]);
  });
});
