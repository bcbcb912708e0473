/**
 * Vector-Jacobian rules for Gemm and MatMul (NumPy matmul semantics, batch dims broadcast).
 */
import { attrFloat, attrInt } from '../../onnx/attributes.js';
import type { GraphBuilder } from '../../onnx/builder.js';
import type { VjpRule } from '../vjp.js';
import { scaleBy, swapLastTwo } from './elementwise-util.js';
import { grad0, reshapeTo, unbroadcast } from './util.js';

/**
 * Gemm: Y = alpha·A'·B' + beta·C with A' = transA ? Aᵀ : A, B' likewise.
 * dA' = alpha·dY·B'ᵀ, dB' = alpha·A'ᵀ·dY (each emitted as one Gemm, transposed back when needed),
 * dC = beta·dY summed over C's broadcast axes.
 *
 * @example
 * ```ts
 * const [dA, dB, dC] = gemmRule(ctx);
 * ```
 */
export const gemmRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const alpha = attrFloat(ctx.node, 'alpha', 1);
  const beta = attrFloat(ctx.node, 'beta', 1);
  const transA = attrInt(ctx.node, 'transA', 0);
  const transB = attrInt(ctx.node, 'transB', 0);
  const dy = grad0(ctx);
  const a = ctx.input(0);
  const bm = ctx.input(1);
  const out: (string | undefined)[] = [undefined, undefined, undefined];
  if (ctx.needsGrad(0)) {
    // dA = alpha · dY · B'ᵀ, or its transpose alpha · B' · dYᵀ when transA
    out[0] = transA
      ? b.op('Gemm', [bm, dy], { alpha: { float: alpha }, transA: transB, transB: 1 })
      : b.op('Gemm', [dy, bm], { alpha: { float: alpha }, transB: transB ? 0 : 1 });
  }
  if (ctx.needsGrad(1)) {
    // dB = alpha · A'ᵀ · dY, or its transpose alpha · dYᵀ · A' when transB
    out[1] = transB
      ? b.op('Gemm', [dy, a], { alpha: { float: alpha }, transA: 1, transB: transA })
      : b.op('Gemm', [a, dy], { alpha: { float: alpha }, transA: transA ? 0 : 1 });
  }
  const c = ctx.input(2);
  if (c && ctx.needsGrad(2)) out[2] = unbroadcast(b, scaleBy(b, dy, beta), ctx.shape(ctx.output(0)), ctx.shape(c));
  return out;
};

/** An operand of MatMul viewed as (a batch of) matrices: 1-D A is [1, K], 1-D B is [K, 1]. */
function asMatrix(shape: readonly number[], side: 'left' | 'right'): number[] {
  if (shape.length !== 1) return [...shape];
  return side === 'left' ? [1, shape[0] as number] : [shape[0] as number, 1];
}

/** The transpose of the last two axes of an operand seen by {@link asMatrix}; a Reshape for 1-D. */
function matrixTranspose(b: GraphBuilder, x: string, matrix: readonly number[], original: readonly number[]): string {
  if (original.length === 1) return reshapeTo(b, x, [matrix[1] as number, matrix[0] as number]);
  return swapLastTwo(b, x, matrix.length);
}

/** Sums a gradient at the broadcast matrix shape back to the operand's matrix view, then its own shape. */
function toOperand(b: GraphBuilder, grad: string, gradShape: readonly number[], matrix: readonly number[], original: readonly number[]): string {
  const g = unbroadcast(b, grad, gradShape, matrix);
  return original.length === matrix.length ? g : reshapeTo(b, g, original);
}

/** The broadcast batch dims of two matrix views (NumPy rules). */
function broadcastBatch(a: readonly number[], bShape: readonly number[]): number[] {
  const ba = a.slice(0, -2);
  const bb = bShape.slice(0, -2);
  const rank = Math.max(ba.length, bb.length);
  return Array.from({ length: rank }, (_, i) => {
    const da = ba[ba.length - rank + i] ?? 1;
    const db = bb[bb.length - rank + i] ?? 1;
    return da === 1 ? db : da;
  });
}

/**
 * MatMul with NumPy semantics: 1-D operands are promoted to matrices ([K] → [1, K] on the left,
 * [K, 1] on the right) and batch dims broadcast. With dY viewed as [..., M, N]:
 * dA = dY · Bᵀ and dB = Aᵀ · dY, each summed over its broadcast batch dims and reshaped back.
 *
 * @example
 * ```ts
 * const [dA, dB] = matMulRule(ctx);
 * ```
 */
export const matMulRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const aShape = ctx.shape(ctx.input(0));
  const bShape = ctx.shape(ctx.input(1));
  const aMat = asMatrix(aShape, 'left');
  const bMat = asMatrix(bShape, 'right');
  const batch = broadcastBatch(aMat, bMat);
  const m = aMat[aMat.length - 2] as number;
  const k = aMat[aMat.length - 1] as number;
  const n = bMat[bMat.length - 1] as number;
  const yMat = [...batch, m, n];
  const dy = grad0(ctx);
  const dyMat = yMat.length === ctx.shape(ctx.output(0)).length ? dy : reshapeTo(b, dy, yMat);
  const dA = ctx.needsGrad(0)
    ? toOperand(b, b.op('MatMul', [dyMat, matrixTranspose(b, ctx.input(1), bMat, bShape)]), [...batch, m, k], aMat, aShape)
    : undefined;
  const dB = ctx.needsGrad(1)
    ? toOperand(b, b.op('MatMul', [matrixTranspose(b, ctx.input(0), aMat, aShape), dyMat]), [...batch, k, n], bMat, bShape)
    : undefined;
  return [dA, dB];
};

/**
 * Linear-algebra rules, by op type.
 *
 * @example
 * ```ts
 * const rule = linearRules.MatMul;
 * ```
 */
export const linearRules: Record<string, VjpRule> = {
  Gemm: gemmRule,
  MatMul: matMulRule,
};
