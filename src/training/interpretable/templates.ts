/**
 * The part templates of interpretable CNNs (Zhang, Wu & Zhu, CVPR 2018,
 * https://arxiv.org/abs/1710.00935). For an n×n feature map there are n² positive templates, one per
 * position μ, T_μ[i,j] = τ·max(1 − β·‖(i,j) − μ‖₁ / n, −1), and one negative template T⁻ = −τ, with
 * priors p(T_μ) = α/n² and p(T⁻) = 1 − α. Positions are cell indices (the paper's), not the
 * [−1, 1] coordinates of the authors' PyTorch port.
 */

/** The template hyper-parameters; any left out take the paper's defaults for the map size. */
export interface TemplateOptions {
  /** Template scale τ (default 0.5/n²). */
  readonly tau?: number;
  /** Fall-off β (default 4). */
  readonly beta?: number;
  /** Prior mass of the positive templates α (default n²/(1 + n²)). */
  readonly alpha?: number;
}

/** Hyper-parameters with every default filled in. */
export interface TemplateParams {
  readonly n: number;
  readonly tau: number;
  readonly beta: number;
  readonly alpha: number;
}

/**
 * Fills in the paper's defaults for an n×n map: τ = 0.5/n², β = 4, α = n²/(1 + n²).
 *
 * @example
 * ```ts
 * templateParams(4); // { n: 4, tau: 0.03125, beta: 4, alpha: 16 / 17 }
 * ```
 */
export function templateParams(n: number, options: TemplateOptions = {}): TemplateParams {
  return { n, tau: options.tau ?? 0.5 / (n * n), beta: options.beta ?? 4, alpha: options.alpha ?? (n * n) / (1 + n * n) };
}

/**
 * The n² positive templates as rows of an [n², n²] matrix: row μ = i₀·n + j₀ holds T_μ flattened
 * in row-major order.
 *
 * @example
 * ```ts
 * const t = positiveTemplates(templateParams(3)); // t[0] = τ (the peak of T_(0,0))
 * ```
 */
export function positiveTemplates({ n, tau, beta }: TemplateParams): Float32Array {
  const cells = n * n;
  const out = new Float32Array(cells * cells);
  for (let mu = 0; mu < cells; mu++) {
    const mi = Math.floor(mu / n);
    const mj = mu % n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) out[mu * cells + i * n + j] = tau * Math.max(1 - (beta * (Math.abs(i - mi) + Math.abs(j - mj))) / n, -1);
    }
  }
  return out;
}

/**
 * Every template as a column of an [n², n² + 1] matrix (positives T_μ in columns μ, then T⁻), so
 * that a row of flattened maps times it gives tr(x·T) for every template at once.
 *
 * @example
 * ```ts
 * const m = templateColumns(templateParams(3)); // m[0 * 10 + 9] = −τ (T⁻ at cell 0)
 * ```
 */
export function templateColumns(p: TemplateParams): Float32Array {
  const cells = p.n * p.n;
  const pos = positiveTemplates(p);
  const out = new Float32Array(cells * (cells + 1));
  for (let c = 0; c < cells; c++) {
    for (let mu = 0; mu < cells; mu++) out[c * (cells + 1) + mu] = pos[mu * cells + c] as number;
    out[c * (cells + 1) + cells] = -p.tau;
  }
  return out;
}

/**
 * Log-priors of the n² + 1 templates: log(α/n²) for each positive one, log(1 − α) for T⁻.
 *
 * @example
 * ```ts
 * templateLogPriors(templateParams(3)); // [log(0.9/9) ×9, log(0.1)]
 * ```
 */
export function templateLogPriors({ n, alpha }: TemplateParams): Float32Array {
  const cells = n * n;
  const out = new Float32Array(cells + 1).fill(Math.log(alpha / cells));
  out[cells] = Math.log(1 - alpha);
  return out;
}

/**
 * The L1 distances between cells divided by n, as an [n², n²] matrix (row μ, column i·n + j):
 * T_μ/τ = max(1 − β·D[μ], −1), so a mask with a per-filter β reads its template from one row.
 *
 * @example
 * ```ts
 * cellDistances(2); // [0, 0.5, 0.5, 1, 0.5, 0, 1, 0.5, …]
 * ```
 */
export function cellDistances(n: number): Float64Array {
  const cells = n * n;
  const out = new Float64Array(cells * cells);
  for (let mu = 0; mu < cells; mu++) {
    for (let c = 0; c < cells; c++) out[mu * cells + c] = (Math.abs(Math.floor(mu / n) - Math.floor(c / n)) + Math.abs((mu % n) - (c % n))) / n;
  }
  return out;
}

/**
 * β in the paper's cell units (‖·‖₁/n) from β in the ICNN authors' code, whose positions run over
 * [−1, 1] (a cell is 2/(n − 1)): β_paper = β_code·2n/(n − 1).
 *
 * @example
 * ```ts
 * betaFromCodeUnits(2, 8); // 4.571… (the code's initial β on 8×8 maps)
 * ```
 */
export function betaFromCodeUnits(beta: number, n: number): number {
  return (beta * 2 * n) / (n - 1);
}
