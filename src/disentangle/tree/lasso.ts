/**
 * The L1-regularised least-squares fit of a decision mode (Zhang et al., "Interpreting CNNs via
 * Decision Trees", CVPR 2019, https://arxiv.org/abs/1802.00121), solved by cyclic coordinate
 * descent on sufficient statistics, so that a merged node's fit costs O(C²) per sweep whatever
 * its number of images.
 *
 * Minimises ½·Σᵢ (yᵢ − b − Σ_c α_c·Xᵢc)² + λ·‖α‖₁ with an unpenalised intercept b; the data enter
 * only through the centred Gram matrix XᵀX, Xᵀy, Σy² and the means, which are additive over
 * images (see {@link SuffStats}).
 */

/** Additive sufficient statistics of a set of (row x ∈ R^C, score y) pairs. */
export interface SuffStats {
  readonly n: number;
  readonly dim: number;
  /** Σ x, length C. */
  readonly sx: Float64Array;
  /** Σ y. */
  readonly sy: number;
  /** Σ y². */
  readonly syy: number;
  /** Σ x·xᵀ, C×C row-major. */
  readonly sxx: Float64Array;
  /** Σ x·y, length C. */
  readonly sxy: Float64Array;
}

/** A fitted sparse linear model: prediction b + α·x. */
export interface LassoFit {
  readonly alpha: Float64Array;
  readonly bias: number;
  /** ½·RSS + λ·‖α‖₁ at the solution. */
  readonly objective: number;
  /** ½·RSS alone. */
  readonly halfRss: number;
}

/**
 * The statistics of one row.
 *
 * @example
 * ```ts
 * const s = rowStats(Float64Array.of(1, 2), 3);
 * ```
 */
export function rowStats(x: ArrayLike<number>, y: number): SuffStats {
  const dim = x.length;
  const sx = Float64Array.from(x);
  const sxx = new Float64Array(dim * dim);
  const sxy = new Float64Array(dim);
  for (let i = 0; i < dim; i++) {
    const xi = sx[i] as number;
    sxy[i] = xi * y;
    for (let j = 0; j < dim; j++) sxx[i * dim + j] = xi * (sx[j] as number);
  }
  return { n: 1, dim, sx, sy: y, syy: y * y, sxx, sxy };
}

/**
 * The statistics of the union of two disjoint sets.
 *
 * @example
 * ```ts
 * const both = addStats(rowStats([1], 2), rowStats([3], 4));
 * ```
 */
export function addStats(a: SuffStats, b: SuffStats): SuffStats {
  const add = (p: Float64Array, q: Float64Array): Float64Array => p.map((v, i) => v + (q[i] as number));
  return { n: a.n + b.n, dim: a.dim, sx: add(a.sx, b.sx), sy: a.sy + b.sy, syy: a.syy + b.syy, sxx: add(a.sxx, b.sxx), sxy: add(a.sxy, b.sxy) };
}

/** Options of {@link fitLasso}. */
export interface LassoOptions {
  /** The L1 weight λ (≥ 0). */
  readonly lambda: number;
  /** Per-feature scale s: the fit is on columns s_c·x_c (the decision mode's α∘ḡ form). Default 1. */
  readonly scale?: ArrayLike<number>;
  /** The coefficients' prior p: the L1 penalty is λ·‖α − p‖₁ (shrinks towards p). Default 0. */
  readonly prior?: ArrayLike<number>;
  /** Maximum coordinate sweeps. Default 200. */
  readonly maxSweeps?: number;
  /** Stop when no coefficient moves more than this. Default 1e-9. */
  readonly tolerance?: number;
}

const softThreshold = (z: number, t: number): number => (z > t ? z - t : z < -t ? z + t : 0);

/**
 * Cyclic coordinate descent for the lasso with intercept, from sufficient statistics.
 *
 * @example
 * ```ts
 * const fit = fitLasso(stats, { lambda: 0.1 });
 * const yhat = fit.bias + fit.alpha.reduce((s, a, c) => s + a * x[c], 0);
 * ```
 */
export function fitLasso(stats: SuffStats, options: LassoOptions): LassoFit {
  const { n, dim } = stats;
  const s = options.scale ?? new Float64Array(dim).fill(1);
  const maxSweeps = options.maxSweeps ?? 200;
  const tol = options.tolerance ?? 1e-9;
  const lambda = options.lambda;
  // Centred, scaled Gram G = Sᵀ(Σxxᵀ − n·x̄x̄ᵀ)S and c = S(Σxy − n·x̄ȳ).
  const mx = Float64Array.from(stats.sx, (v) => v / n);
  const my = stats.sy / n;
  const gram = new Float64Array(dim * dim);
  const cov = new Float64Array(dim);
  for (let i = 0; i < dim; i++) {
    const si = s[i] as number;
    cov[i] = si * ((stats.sxy[i] as number) - n * (mx[i] as number) * my);
    for (let j = 0; j < dim; j++) {
      gram[i * dim + j] = si * (s[j] as number) * ((stats.sxx[i * dim + j] as number) - n * (mx[i] as number) * (mx[j] as number));
    }
  }
  const prior = options.prior ?? new Float64Array(dim);
  const beta = Float64Array.from(prior);
  // r = c − G·β, kept up to date.
  const r = Float64Array.from(cov);
  for (let j = 0; j < dim; j++) {
    const pj = prior[j] as number;
    if (pj !== 0) for (let i = 0; i < dim; i++) r[i] = (r[i] as number) - (gram[i * dim + j] as number) * pj;
  }
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let moved = 0;
    for (let j = 0; j < dim; j++) {
      const gjj = gram[j * dim + j] as number;
      if (gjj <= 1e-300) continue;
      const old = beta[j] as number;
      const pj = prior[j] as number;
      const next = pj + softThreshold((r[j] as number) + gjj * (old - pj), lambda) / gjj;
      const d = next - old;
      if (d === 0) continue;
      beta[j] = next;
      for (let i = 0; i < dim; i++) r[i] = (r[i] as number) - (gram[i * dim + j] as number) * d;
      moved = Math.max(moved, Math.abs(d));
    }
    if (moved <= tol) break;
  }
  // ½RSS = ½(Syy_c − 2βᵀc + βᵀGβ) = ½(Syy_c − βᵀc − βᵀr).
  const syyc = stats.syy - n * my * my;
  let bc = 0;
  let br = 0;
  let l1 = 0;
  for (let j = 0; j < dim; j++) {
    bc += (beta[j] as number) * (cov[j] as number);
    br += (beta[j] as number) * (r[j] as number);
    l1 += Math.abs((beta[j] as number) - (prior[j] as number));
  }
  const halfRss = Math.max(0, 0.5 * (syyc - bc - br));
  const alpha = beta;
  let bias = my;
  for (let j = 0; j < dim; j++) bias -= (alpha[j] as number) * (s[j] as number) * (mx[j] as number);
  return { alpha, bias, objective: halfRss + (l1 === 0 ? 0 : lambda * l1), halfRss };
}
