/**
 * The small dense linear algebra of surrogate-model methods, in float64: Cholesky solves,
 * weighted ridge regression with an unpenalised intercept (LIME), and weighted least squares under
 * the constraint Σβ = total (KernelSHAP's efficiency).
 */
import { LucernaError } from '../../errors.js';

/** A dense row-major matrix: `rows × cols` values of `data`. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  /** Row-major values (0/1 coalition bytes and float64 both fit). */
  readonly data: ArrayLike<number>;
}

/** Result of {@link weightedRidge}. */
export interface RidgeFit {
  /** One coefficient per column. */
  readonly coef: Float64Array;
  /** The unpenalised intercept (0 without one). */
  readonly intercept: number;
  /** Weighted R² of the fit on the training rows (1 − SSE/SST; 1 when every y is the same and fit exactly). */
  readonly r2: number;
}

/** Result of {@link solveSymmetric} and {@link constrainedLeastSquares}. */
export interface Solution {
  readonly x: Float64Array;
  /** The ridge added to the diagonal so the system could be factorised (0 when none was needed). */
  readonly jitter: number;
}

/**
 * The lower Cholesky factor L (row-major n × n, A = L Lᵀ) of a symmetric matrix, or `undefined`
 * when A is not numerically positive definite.
 *
 * @example
 * ```ts
 * cholesky(Float64Array.of(4, 2, 2, 3), 2); // [2, 0, 1, √2]
 * ```
 */
export function cholesky(a: ArrayLike<number>, n: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  let maxDiagonal = 0;
  for (let i = 0; i < n; i++) maxDiagonal = Math.max(maxDiagonal, Math.abs(a[i * n + i]!));
  const floor = maxDiagonal * n * Number.EPSILON;
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= l[j * n + k]! * l[j * n + k]!;
    if (!(d > floor)) return undefined;
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = s / ljj;
    }
  }
  return l;
}

/**
 * Solves L Lᵀ x = b by forward and back substitution.
 *
 * @example
 * ```ts
 * const x = choleskySolve(cholesky(a, n)!, n, b);
 * ```
 */
export function choleskySolve(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * y[k]!;
    y[i] = s / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  return x;
}

/**
 * Solves A x = b for a symmetric positive semi-definite A. When A is singular (too few distinct
 * samples for the number of features), a growing ridge λI is added until it factorises; λ → 0
 * tends to the minimum-norm least-squares solution, and the λ used is returned.
 *
 * @example
 * ```ts
 * const { x, jitter } = solveSymmetric(Float64Array.of(2, 0, 0, 4), 2, [2, 4]); // x = [1, 1], jitter 0
 * ```
 */
export function solveSymmetric(a: ArrayLike<number>, n: number, b: ArrayLike<number>): Solution {
  if (n === 0) return { x: new Float64Array(0), jitter: 0 };
  let trace = 0;
  for (let i = 0; i < n; i++) trace += Math.abs(a[i * n + i]!);
  const scale = trace > 0 ? trace / n : 1;
  let jitter = 0;
  for (let attempt = 0; attempt < 12; attempt++) {
    const shifted = jitter === 0 ? a : addDiagonal(a, n, jitter);
    const l = cholesky(shifted, n);
    if (l) return { x: choleskySolve(l, n, b), jitter };
    jitter = jitter === 0 ? scale * 1e-10 : jitter * 10;
  }
  throw new LucernaError(
    'BAD_OPTION',
    'The regression system could not be solved (non-finite or degenerate samples)',
    'Check that the scores are finite, or use more samples',
  );
}

function addDiagonal(a: ArrayLike<number>, n: number, lambda: number): Float64Array {
  const out = Float64Array.from(a);
  for (let i = 0; i < n; i++) out[i * n + i] = out[i * n + i]! + lambda;
  return out;
}

function checkSystem(x: Matrix, y: ArrayLike<number>, w: ArrayLike<number>): void {
  if (x.data.length !== x.rows * x.cols || y.length !== x.rows || w.length !== x.rows) {
    throw new LucernaError(
      'BAD_SHAPE',
      `Regression inputs disagree: X is ${x.rows} × ${x.cols} with ${x.data.length} values, y has ${y.length}, w has ${w.length}`,
    );
  }
  for (let i = 0; i < w.length; i++) {
    if (!(w[i]! >= 0 && Number.isFinite(w[i]!))) throw new LucernaError('BAD_OPTION', `Regression weight ${i} is ${w[i]}; weights must be finite and ≥ 0`);
  }
}

/** Weighted column means of X and the weighted mean of y. */
function weightedMeans(x: Matrix, y: ArrayLike<number>, w: ArrayLike<number>): { xMean: Float64Array; yMean: number } {
  const xMean = new Float64Array(x.cols);
  let yMean = 0;
  let total = 0;
  for (let i = 0; i < x.rows; i++) {
    const wi = w[i]!;
    total += wi;
    yMean += wi * y[i]!;
    for (let j = 0; j < x.cols; j++) xMean[j] = xMean[j]! + wi * x.data[i * x.cols + j]!;
  }
  if (!(total > 0)) throw new LucernaError('BAD_OPTION', 'Every regression weight is 0', 'Use a wider kernel or more samples');
  for (let j = 0; j < x.cols; j++) xMean[j] = xMean[j]! / total;
  return { xMean, yMean: yMean / total };
}

/** Normal equations (XcᵀWXc, XcᵀWyc) of X and y shifted by the given means. */
function normalEquations(x: Matrix, y: ArrayLike<number>, w: ArrayLike<number>, xMean: Float64Array, yMean: number): { a: Float64Array; b: Float64Array } {
  const n = x.cols;
  const a = new Float64Array(n * n);
  const b = new Float64Array(n);
  const row = new Float64Array(n);
  for (let i = 0; i < x.rows; i++) {
    const wi = w[i]!;
    if (wi === 0) continue;
    for (let j = 0; j < n; j++) row[j] = x.data[i * n + j]! - xMean[j]!;
    const r = y[i]! - yMean;
    for (let j = 0; j < n; j++) {
      const wr = wi * row[j]!;
      if (wr === 0) continue;
      b[j] = b[j]! + wr * r;
      for (let k = 0; k <= j; k++) a[j * n + k] = a[j * n + k]! + wr * row[k]!;
    }
  }
  for (let j = 0; j < n; j++) for (let k = 0; k < j; k++) a[k * n + j] = a[j * n + k]!;
  return { a, b };
}

/** Weighted R² of predictions X·coef + intercept. */
function weightedR2(x: Matrix, y: ArrayLike<number>, w: ArrayLike<number>, coef: Float64Array, intercept: number, yMean: number): number {
  let sse = 0;
  let sst = 0;
  for (let i = 0; i < x.rows; i++) {
    let pred = intercept;
    for (let j = 0; j < x.cols; j++) pred += coef[j]! * x.data[i * x.cols + j]!;
    sse += w[i]! * (y[i]! - pred) ** 2;
    sst += w[i]! * (y[i]! - yMean) ** 2;
  }
  if (sst === 0) return sse === 0 ? 1 : 0;
  return 1 - sse / sst;
}

/**
 * Weighted ridge regression: minimises Σ wᵢ (yᵢ − b − xᵢᵀβ)² + α‖β‖² with the intercept b left
 * unpenalised (scikit-learn's `Ridge(alpha, fit_intercept=True).fit(X, y, sample_weight=w)`,
 * which LIME uses: https://arxiv.org/abs/1602.04938).
 *
 * @example
 * ```ts
 * const { coef, intercept, r2 } = weightedRidge({ rows: 3, cols: 1, data: [0, 1, 2] }, [1, 3, 5], [1, 1, 1], { alpha: 0 });
 * // coef [2], intercept 1, r2 1
 * ```
 */
export function weightedRidge(x: Matrix, y: ArrayLike<number>, w: ArrayLike<number>, options: { alpha?: number; intercept?: boolean } = {}): RidgeFit {
  const alpha = options.alpha ?? 1;
  if (!(alpha >= 0 && Number.isFinite(alpha))) throw new LucernaError('BAD_OPTION', `The ridge alpha must be a finite number ≥ 0, got ${options.alpha}`);
  checkSystem(x, y, w);
  const centred = options.intercept ?? true;
  const { xMean, yMean } = centred ? weightedMeans(x, y, w) : { xMean: new Float64Array(x.cols), yMean: 0 };
  const { a, b } = normalEquations(x, y, w, xMean, yMean);
  const coef = solveSymmetric(alpha > 0 ? addDiagonal(a, x.cols, alpha) : a, x.cols, b).x;
  let intercept = 0;
  if (centred) {
    intercept = yMean;
    for (let j = 0; j < x.cols; j++) intercept -= xMean[j]! * coef[j]!;
  }
  const fitMean = centred ? yMean : weightedMeans(x, y, w).yMean;
  return { coef, intercept, r2: weightedR2(x, y, w, coef, intercept, fitMean) };
}

/**
 * Weighted least squares without intercept under an exact linear constraint: minimises
 * Σ wᵢ (yᵢ − xᵢᵀβ)² subject to Σⱼ βⱼ = total. The last coefficient is eliminated
 * (β_last = total − Σ_{j<last} βⱼ), as KernelSHAP does to enforce efficiency
 * (Lundberg & Lee 2017, https://arxiv.org/abs/1705.07874), so the constraint holds to rounding.
 *
 * @example
 * ```ts
 * const { x: phi } = constrainedLeastSquares(coalitions, scoresMinusBaseline, kernelWeights, fx - fBaseline);
 * ```
 */
export function constrainedLeastSquares(x: Matrix, y: ArrayLike<number>, w: ArrayLike<number>, total: number): Solution {
  checkSystem(x, y, w);
  if (!Number.isFinite(total)) throw new LucernaError('BAD_OPTION', `The constraint total must be finite, got ${total}`);
  const k = x.cols;
  if (k === 0) throw new LucernaError('BAD_SHAPE', 'A constrained regression needs at least one column');
  if (k === 1) return { x: Float64Array.of(total), jitter: 0 };
  const free = k - 1;
  const reduced = new Float64Array(x.rows * free);
  const target = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    const last = x.data[i * k + free]!;
    target[i] = y[i]! - last * total;
    for (let j = 0; j < free; j++) reduced[i * free + j] = x.data[i * k + j]! - last;
  }
  const { a, b } = normalEquations({ rows: x.rows, cols: free, data: reduced }, target, w, new Float64Array(free), 0);
  const { x: head, jitter } = solveSymmetric(a, free, b);
  const beta = new Float64Array(k);
  beta.set(head);
  let rest = total;
  for (let j = 0; j < free; j++) rest -= head[j]!;
  beta[free] = rest;
  return { x: beta, jitter };
}
