/**
 * Vector-Jacobian rules for Gemm and MatMul.
 */
import { attrFloat, attrInt } from '../../onnx/attributes.js';
import type { VjpRule } from '../vjp.js';
import { grad0, unbroadcast } from './util.js';

/**
 * Gemm: Y = alpha·A'·B' + beta·C with A' = transA ? Aᵀ : A, B' likewise.
 * dA' = alpha·dY·B'ᵀ, dB' = alpha·A'ᵀ·dY, dC = beta·unbroadcast(dY).
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
    // dA = alpha · dY · B'ᵀ  (or its transpose when transA)
    out[0] = transA
      ? b.op('Gemm', [bm, dy], { alpha: { float: alpha }, transA: transB, transB: 1 })
      : b.op('Gemm', [dy, bm], { alpha: { float: alpha }, transB: transB ? 0 : 1 });
  }
  if (ctx.needsGrad(1)) {
    out[1] = transB
      ? b.op('Gemm', [dy, a], { alpha: { float: alpha }, transA: 1, transB: transA })
      : b.op('Gemm', [a, dy], { alpha: { float: alpha }, transA: transA ? 0 : 1 });
  }
  const c = ctx.input(2);
  if (c && ctx.needsGrad(2)) {
    const scaled = beta === 1 ? dy : b.op('Mul', [dy, b.scalar(beta)]);
    out[2] = unbroadcast(b, scaled, ctx.shape(ctx.output(0)), ctx.shape(c));
  }
  return out;
};

/** Linear-algebra rules of this file, by op type. */
export const linearRules: Record<string, VjpRule> = {
  Gemm: gemmRule,
};
