/**
 * DeepLift rules for Softmax and LogSoftmax that keep completeness exact (Σ m·Δx = Σ dY·Δy).
 *
 * Softmax is not element-wise, so the rescale rule does not apply to it directly. It is split into
 * single-input steps, each with its exact rescale multiplier, joined by linear ones:
 *   softmax(x)ⱼ = exp(zⱼ), zⱼ = xⱼ − L,  L = log S,  S = Σₖ vₖ,  vₖ = exp(xₖ − c),
 * with one shift c (the larger of the two rows' maxima) shared by the input and the reference, so
 * vₖ depends on xₖ alone. The secants of exp and log are evaluated in closed forms that do not cancel:
 *   (eᵃ − eᵇ)/(a − b) = (eᵃ + eᵇ)/2 · tanh(h)/h,  h = (a − b)/2,
 *   (log S − log S′)/(S − S′) = 2/(S + S′) · atanh(q)/q,  q = (S − S′)/(S + S′)  (|q| < 0.5; the plain
 *   quotient of two stable log-sum-exps beyond).
 * Captum's softmax rule instead subtracts the mean of the rescaled gradient, which does not sum to Δy.
 */
import { attrInt } from '../../onnx/attributes.js';
import type { GraphBuilder } from '../../onnx/builder.js';
import { normalizeAxis, reduceKeep } from '../rules/elementwise-util.js';
import { grad0 } from '../rules/util.js';
import type { VjpContext, VjpRule } from '../vjp.js';
import { atanhRatio, pairOf, perRow, tanhRatio } from './deeplift-util.js';

/** The pieces of the decomposition shared by Softmax and LogSoftmax, all with B rows. */
interface LogSumExpPair {
  /** ΔL = lse(x) − lse(r) along the axis (kept dims). */
  readonly deltaL: string;
  /** The multiplier of L with respect to each xₖ: (ΔL/ΔS) · (Δvₖ/Δxₖ). */
  readonly lseMultiplier: string;
  /** Δx, the difference of the two halves of the input. */
  readonly dIn: string;
}

/** `(a + b)/2 · tanh(h)/h`, h = d/2: the exact secant of exp between two points whose exps are a, b and whose difference is d. */
function expSecant(b: GraphBuilder, expA: string, expB: string, d: string): string {
  const mean = b.op('Mul', [b.op('Add', [expA, expB]), b.scalar(0.5)]);
  return b.op('Mul', [mean, tanhRatio(b, b.op('Mul', [d, b.scalar(0.5)]))]);
}

/** A numerically stable log-sum-exp of each row along `axis` (kept dims). */
function logSumExp(b: GraphBuilder, x: string, axis: number): string {
  const max = reduceKeep(b, 'ReduceMax', x, [axis]);
  const sum = reduceKeep(b, 'ReduceSum', b.op('Exp', [b.op('Sub', [x, max])]), [axis]);
  return b.op('Add', [max, b.op('Log', [sum])]);
}

function lseDecomposition(ctx: VjpContext, axis: number): LogSumExpPair {
  const { b } = ctx;
  const [xa, xr] = pairOf(ctx, ctx.input(0));
  const shift = b.op('Max', [reduceKeep(b, 'ReduceMax', xa, [axis]), reduceKeep(b, 'ReduceMax', xr, [axis])]);
  const va = b.op('Exp', [b.op('Sub', [xa, shift])]);
  const vr = b.op('Exp', [b.op('Sub', [xr, shift])]);
  const sa = reduceKeep(b, 'ReduceSum', va, [axis]);
  const sr = reduceKeep(b, 'ReduceSum', vr, [axis]);
  const total = b.op('Add', [sa, sr]);
  const diff = b.op('Sub', [sa, sr]);
  const q = b.op('Div', [diff, total]);
  const near = b.op('Less', [b.op('Abs', [q]), b.scalar(0.5)]);
  const ratio = atanhRatio(b, b.op('Clip', [q, b.scalar(-0.5), b.scalar(0.5)]));
  const nearSecant = b.op('Div', [b.op('Mul', [ratio, b.scalar(2)]), total]);
  const farDelta = b.op('Sub', [logSumExp(b, xa, axis), logSumExp(b, xr, axis)]);
  const farSecant = b.op('Div', [farDelta, b.op('Where', [near, total, diff])]);
  const deltaL = b.op('Where', [near, b.op('Mul', [nearSecant, diff]), farDelta]);
  const logSecant = b.op('Where', [near, nearSecant, farSecant]);
  const dIn = b.op('Sub', [xa, xr]);
  return { deltaL, lseMultiplier: b.op('Mul', [logSecant, expSecant(b, va, vr, dIn)]), dIn };
}

function softmaxAxis(ctx: VjpContext): number {
  return normalizeAxis(ctx, attrInt(ctx.node, 'axis', -1), ctx.shape(ctx.input(0)).length);
}

/** dX = dZ − (Σ_axis dZ) · (multiplier of L), applied to both halves. */
function throughLogSumExp(ctx: VjpContext, dZ: string, lse: LogSumExpPair, axis: number): string {
  const { b } = ctx;
  const total = reduceKeep(b, 'ReduceSum', dZ, [axis]);
  return b.op('Sub', [dZ, b.op('Mul', [total, perRow(ctx, lse.lseMultiplier)])]);
}

/**
 * Softmax under DeepLift: exact rescale multipliers through exp, log and the sum (see the file comment).
 *
 * @example
 * ```ts
 * const [dX] = deepliftSoftmaxRule(ctx);
 * ```
 */
export const deepliftSoftmaxRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const axis = softmaxAxis(ctx);
  const lse = lseDecomposition(ctx, axis);
  const [ya, yr] = pairOf(ctx, ctx.output(0));
  const dz = b.op('Sub', [lse.dIn, lse.deltaL]);
  const expMultiplier = expSecant(b, ya, yr, dz);
  const dZ = b.op('Mul', [grad0(ctx), perRow(ctx, expMultiplier)]);
  return [throughLogSumExp(ctx, dZ, lse, axis)];
};

/**
 * LogSoftmax under DeepLift: y = x − L, with L's exact multipliers (see the file comment).
 *
 * @example
 * ```ts
 * const [dX] = deepliftLogSoftmaxRule(ctx);
 * ```
 */
export const deepliftLogSoftmaxRule: VjpRule = (ctx) => {
  const axis = softmaxAxis(ctx);
  return [throughLogSumExp(ctx, grad0(ctx), lseDecomposition(ctx, axis), axis)];
};
