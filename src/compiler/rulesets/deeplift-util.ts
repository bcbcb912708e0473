/**
 * Emitters shared by the DeepLift rules. Under the DeepLift rule set the batch holds the inputs and
 * their references together, rows `[x_1..x_B, r_1..r_B]`, so a rule can read both forward values of
 * every unit and build its multiplier from the differences Δ = value(x) − value(r).
 */
import { LucernaError } from '../../errors.js';
import type { GraphBuilder } from '../../onnx/builder.js';
import type { VjpContext } from '../vjp.js';

/** Below this |Δin| a multiplier falls back to the plain derivative (Captum's `eps`). */
export const DEEPLIFT_EPS = 1e-10;

/**
 * B, the number of input rows, for a forward tensor of 2B rows.
 *
 * @example
 * ```ts
 * pairRows(ctx, ctx.input(0)); // 4 for a [8, 16, 32, 32] activation
 * ```
 */
export function pairRows(ctx: VjpContext, tensor: string): number {
  const rows = ctx.shape(tensor)[0] ?? 0;
  if (rows < 2 || rows % 2 !== 0) {
    throw new LucernaError(
      'BAD_PLAN',
      `The DeepLift rule set needs a batch of inputs followed by their references, but "${tensor}" has ${rows} row(s)`,
      'Run the deeplift method, or compile with a batch of 2B rows: B inputs, then B references',
    );
  }
  return rows / 2;
}

/** Rows `start..end` of a tensor (a Slice on axis 0). */
export function rowsOf(b: GraphBuilder, tensor: string, start: number, end: number): string {
  return b.op('Slice', [tensor, b.constInt64([start]), b.constInt64([end]), b.constInt64([0])]);
}

/**
 * The input half and the reference half of a forward tensor of 2B rows (for a backward tensor,
 * whose shape the context does not know, pass B as `rows`).
 *
 * @example
 * ```ts
 * const [xa, xr] = halves(ctx, ctx.input(0));
 * ```
 */
export function halves(ctx: VjpContext, tensor: string, rows = pairRows(ctx, tensor)): [string, string] {
  return [rowsOf(ctx.b, tensor, 0, rows), rowsOf(ctx.b, tensor, rows, 2 * rows)];
}

/**
 * A per-pair tensor of B rows repeated for both halves: `Concat(m, m)` on axis 0.
 *
 * @example
 * ```ts
 * const dX = ctx.b.op('Mul', [dY, twice(ctx.b, m)]);
 * ```
 */
export function twice(b: GraphBuilder, tensor: string): string {
  return b.op('Concat', [tensor, tensor], { axis: 0 });
}

/**
 * The input rows and the reference rows of a forward tensor named by the context, under either
 * layout: a backward over all 2B rows (the halves of the tensor) or over the input rows only (a
 * `first-half` plan: the tensor is already the input rows, the context gives the references).
 *
 * @example
 * ```ts
 * const [xa, xr] = pairOf(ctx, ctx.input(0));
 * ```
 */
export function pairOf(ctx: VjpContext, tensor: string): [string, string] {
  if (!ctx.reference) return halves(ctx, tensor);
  const reference = ctx.reference(tensor);
  if (reference === undefined) {
    throw new LucernaError('BAD_PLAN', `The DeepLift rule set needs a batch of inputs followed by their references, but "${tensor}" carries no batch rows`);
  }
  return [tensor, reference];
}

/**
 * True when a forward tensor carries the pair rows (inputs and references) rather than being a
 * constant: under a `first-half` plan when it has references, else when its leading dim is 2B.
 *
 * @example
 * ```ts
 * if (isPaired(ctx, ctx.input(1))) { ... }
 * ```
 */
export function isPaired(ctx: VjpContext, tensor: string): boolean {
  const out = ctx.shape(ctx.output(0));
  const shape = ctx.shape(tensor);
  if (shape.length !== out.length) return false;
  if (ctx.reference) return ctx.reference(tensor) !== undefined;
  const rows = out[0] ?? 0;
  return shape[0] === rows && rows % 2 === 0 && rows >= 2;
}

/**
 * A multiplier of the B input rows, laid out as the backward's rows: as it is under a `first-half`
 * plan, else repeated for both halves ({@link twice}).
 *
 * @example
 * ```ts
 * const dX = ctx.b.op('Mul', [dY, perRow(ctx, m)]);
 * ```
 */
export function perRow(ctx: VjpContext, multiplier: string): string {
  return ctx.reference ? multiplier : twice(ctx.b, multiplier);
}

/** `x²`. */
function square(b: GraphBuilder, x: string): string {
  return b.op('Mul', [x, x]);
}

/** `1 + c₁u + c₂u² + …` by Horner's rule, for u = x². */
function evenSeries(b: GraphBuilder, u: string, coefficients: readonly number[]): string {
  let acc = b.scalar(coefficients[coefficients.length - 1] as number);
  for (let i = coefficients.length - 2; i >= 0; i--) acc = b.op('Add', [b.op('Mul', [acc, u]), b.scalar(coefficients[i] as number)]);
  return b.op('Add', [b.op('Mul', [acc, u]), b.scalar(1)]);
}

/**
 * `f(t)/t` for an odd function f (tanh, atanh), accurate for every t: its Taylor series where
 * |t| < 0.1 (so no cancellation near 0 and no 0/0), the quotient elsewhere. Where the series is
 * used, the discarded quotient is taken at t + 0.5, inside atanh's domain, so it stays finite
 * (at t + 1 it was atanh(≥ 0.9…1.1) = ∞ or NaN, and NaN · 0 poisoned the result).
 */
function oddRatio(b: GraphBuilder, t: string, op: 'Tanh' | 'Atanh', series: readonly number[]): string {
  const small = b.op('Cast', [b.op('Less', [b.op('Abs', [t]), b.scalar(0.1)])], { to: 1 });
  const safe = b.op('Add', [t, b.op('Mul', [small, b.scalar(0.5)])]);
  const quotient = b.op('Div', [b.op(op, [safe]), safe]);
  const taylor = evenSeries(b, square(b, t), series);
  return b.op('Add', [quotient, b.op('Mul', [small, b.op('Sub', [taylor, quotient])])]);
}

/**
 * `tanh(t)/t` (1 at t = 0), accurate near 0. Secants of sigmoid, tanh and exp reduce to it:
 * `(eᵃ − eᵇ)/(a − b) = (eᵃ + eᵇ)/2 · tanh(h)/h` with h = (a − b)/2.
 *
 * @example
 * ```ts
 * const r = tanhRatio(ctx.b, half); // 1 − h²/3 + … near 0
 * ```
 */
export function tanhRatio(b: GraphBuilder, t: string): string {
  return oddRatio(b, t, 'Tanh', [-1 / 3, 2 / 15, -17 / 315]);
}

/**
 * `atanh(q)/q` (1 at q = 0) for |q| < 1, accurate near 0. The secant of log is
 * `(log S − log S′)/(S − S′) = 2/(S + S′) · atanh(q)/q` with q = (S − S′)/(S + S′).
 *
 * @example
 * ```ts
 * const r = atanhRatio(ctx.b, q);
 * ```
 */
export function atanhRatio(b: GraphBuilder, q: string): string {
  return oddRatio(b, q, 'Atanh', [1 / 3, 1 / 5, 1 / 7]);
}

/**
 * `on` where the 0/1 float `mask` is 1, else `off` (both must be finite; no Where).
 *
 * @example
 * ```ts
 * const m = choose(ctx.b, same, slope, secant);
 * ```
 */
export function choose(b: GraphBuilder, mask: string, on: string, off: string): string {
  return b.op('Add', [off, b.op('Mul', [mask, b.op('Sub', [on, off])])]);
}

/**
 * `num / den`, with the division by a |den| < {@link DEEPLIFT_EPS} replaced by a division by
 * `den + 1` — a finite value the caller must mask away. Returns the quotient and the 0/1 "tiny" mask.
 *
 * @example
 * ```ts
 * const { quotient, tiny } = safeDivide(ctx.b, dOut, dIn);
 * ```
 */
export function safeDivide(b: GraphBuilder, num: string, den: string): { quotient: string; tiny: string } {
  const tiny = b.op('Cast', [b.op('Less', [b.op('Abs', [den]), b.scalar(DEEPLIFT_EPS)])], { to: 1 });
  return { quotient: b.op('Div', [num, b.op('Add', [den, tiny])]), tiny };
}
