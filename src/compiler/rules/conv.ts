/**
 * Vector-Jacobian rules for convolutions.
 *
 * dX of Conv is a transposed convolution of dY with the same weights. Emitted as ConvTranspose
 * with an output_padding that restores X's exact size.
 */
import { LucernaError } from '../../errors.js';
import type { VjpContext, VjpRule } from '../vjp.js';
import { windowGeometry } from './conv-geometry.js';
import { grad0, unbroadcast } from './util.js';

function requireConstantWeight(ctx: VjpContext, i: number): void {
  if (ctx.needsGrad(i)) {
    throw new LucernaError(
      'NO_GRADIENT_RULE',
      `Node "${ctx.node.name}" (${ctx.node.opType}) computes its weights at run time; gradients with respect to them are not supported`,
      'Export the model with constant weights (do_constant_folding=True)',
    );
  }
}

/** Conv: dX = ConvTranspose(dY, W) with X's exact size. */
export const convRule: VjpRule = (ctx) => {
  requireConstantWeight(ctx, 1);
  requireConstantWeight(ctx, 2);
  if (!ctx.needsGrad(0)) return [];
  const x = ctx.input(0);
  const w = ctx.input(1);
  const xShape = ctx.shape(x);
  const yShape = ctx.shape(ctx.output(0));
  const wShape = ctx.shape(w);
  const g = windowGeometry(ctx.node, xShape.slice(2), wShape.slice(2));
  const r = g.kernel.length;
  const outputPadding: number[] = [];
  for (let i = 0; i < r; i++) {
    const full = (g.strides[i] as number) * ((yShape[i + 2] as number) - 1) + ((g.kernel[i] as number) - 1) * (g.dilations[i] as number) + 1;
    outputPadding.push((xShape[i + 2] as number) - (full - (g.pads[i] as number) - (g.pads[i + r] as number)));
  }
  const dx = ctx.b.op('ConvTranspose', [grad0(ctx), w], {
    strides: g.strides,
    dilations: g.dilations,
    pads: g.pads,
    group: g.group,
    output_padding: outputPadding,
  });
  return [dx];
};

/** ConvTranspose: dX = Conv(dY, W) with the same geometry (the adjoint of the adjoint). */
export const convTransposeRule: VjpRule = (ctx) => {
  requireConstantWeight(ctx, 1);
  requireConstantWeight(ctx, 2);
  if (!ctx.needsGrad(0)) return [];
  const w = ctx.input(1);
  const wShape = ctx.shape(w);
  const x = ctx.input(0);
  const g = windowGeometry(ctx.node, ctx.shape(x).slice(2), wShape.slice(2));
  const yShape = ctx.shape(ctx.output(0));
  let dy = grad0(ctx);
  void yShape;
  void unbroadcast;
  dy = ctx.b.op('Conv', [dy, w], { strides: g.strides, dilations: g.dilations, pads: g.pads, group: g.group });
  return [dy];
};

/** Convolution rules of this file, by op type. */
export const convRules: Record<string, VjpRule> = {
  Conv: convRule,
  ConvTranspose: convTransposeRule,
};
