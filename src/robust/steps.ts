/**
 * The element-wise pieces of FGSM and PGD, in float32 exactly as PyTorch computes them (Captum's
 * `captum.robust` FGSM and PGD): the sign step, the bound, and the projections onto the ε-ball.
 * Each works in place on the rows `[from, to)` of a flat batch.
 */

/**
 * Captum's `zero_thresh`: gradient elements with |g| ≤ 1e-6 take no step (the comparison runs in
 * float32, as PyTorch compares a float32 tensor with a Python scalar).
 *
 * @example
 * ```ts
 * Math.abs(g) > ZERO_THRESHOLD; // this element steps
 * ```
 */
export const ZERO_THRESHOLD = Math.fround(1e-6);

/**
 * The constant `torch.renorm` adds to the norm before dividing.
 *
 * @example
 * ```ts
 * const factor = epsilon / (norm + RENORM_EPSILON);
 * ```
 */
export const RENORM_EPSILON = 1e-7;

/**
 * One FGSM step: `x += direction · size · sign(g)` where |g| > 1e-6, in float32
 * (Goodfellow et al. 2015, https://arxiv.org/abs/1412.6572). `direction` is +1 to raise the
 * loss (untargeted) and −1 to lower it (targeted).
 *
 * @example
 * ```ts
 * signStep(x, g, 0, x.length, 0.03, 1);
 * ```
 */
export function signStep(x: Float32Array, g: Float32Array, from: number, to: number, size: number, direction: 1 | -1): void {
  const step = direction * Math.fround(size);
  for (let i = from; i < to; i++) {
    const gi = g[i] as number;
    if (gi > ZERO_THRESHOLD) x[i] = (x[i] as number) + step;
    else if (gi < -ZERO_THRESHOLD) x[i] = (x[i] as number) - step;
  }
}

/**
 * Clamps every value to [lower, upper] (`torch.clamp` with float32 bounds); ±∞ bounds leave the
 * values as they are.
 *
 * @example
 * ```ts
 * bound(x, 0, x.length, 0, 1);
 * ```
 */
export function bound(x: Float32Array, from: number, to: number, lower: number, upper: number): void {
  if (lower === -Infinity && upper === Infinity) return;
  const lo = Math.fround(lower);
  const hi = Math.fround(upper);
  for (let i = from; i < to; i++) {
    const v = x[i] as number;
    if (v < lo) x[i] = lo;
    else if (v > hi) x[i] = hi;
  }
}

/**
 * The L∞ projection of PGD: `x = x0 + clamp(x − x0, −ε, ε)`, each operation rounded to float32
 * (Madry et al. 2018, https://arxiv.org/abs/1706.06083).
 *
 * @example
 * ```ts
 * projectLinf(x, x0, 0, x.length, 8 / 255);
 * ```
 */
export function projectLinf(x: Float32Array, x0: Float32Array, from: number, to: number, epsilon: number): void {
  const r = Math.fround(epsilon);
  for (let i = from; i < to; i++) {
    const o = x0[i] as number;
    const d = Math.fround((x[i] as number) - o);
    x[i] = o + Math.min(r, Math.max(d, -r));
  }
}

/**
 * The L2 projection of PGD on one sample (the rows `[from, to)` are one sample):
 * `x = x0 + renorm(x − x0, 2, 0, ε)`. As `torch.renorm` does, a difference whose norm exceeds ε
 * is scaled by ε / (norm + 1e-7), the norm and the factor computed in double precision; a
 * difference inside the ball is kept (and still re-added to `x0` in float32).
 *
 * @example
 * ```ts
 * projectL2(x, x0, 0, per, 1.0); // one sample of `per` values
 * ```
 */
export function projectL2(x: Float32Array, x0: Float32Array, from: number, to: number, epsilon: number): void {
  let sq = 0;
  for (let i = from; i < to; i++) {
    const d = Math.fround((x[i] as number) - (x0[i] as number));
    sq += d * d;
  }
  const norm = Math.sqrt(sq);
  const factor = norm > epsilon ? epsilon / (norm + RENORM_EPSILON) : 1;
  for (let i = from; i < to; i++) {
    const o = x0[i] as number;
    const d = Math.fround((x[i] as number) - o);
    x[i] = o + Math.fround(d * factor);
  }
}
