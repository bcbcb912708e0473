/**
 * Layer emitters for the model zoo, with PyTorch's parameter names and default initialisation:
 * Conv and Linear weights and biases uniform in ±1/√fan_in (`kaiming_uniform_(a=√5)` and the bias
 * rule of `torch.nn.Conv2d`/`Linear`), BatchNorm scale 1, bias 0, running mean 0, variance 1.
 */
import { float } from '../onnx/attributes.js';
import type { GraphBuilder } from '../onnx/builder.js';

/** A builder plus the seeded uniform source of the initial weights. */
export interface LayerContext {
  readonly b: GraphBuilder;
  readonly random: () => number;
}

function uniformArray(n: number, bound: number, random: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * random() - 1) * bound;
  return out;
}

/** Conv2d options (square kernel). */
export interface ConvSpec {
  readonly name: string;
  readonly inC: number;
  readonly outC: number;
  readonly k: number;
  readonly stride?: number;
  readonly pad?: number;
  readonly bias?: boolean;
}

/**
 * A Conv2d named as in PyTorch (`<name>.weight`, `<name>.bias`).
 *
 * @example
 * ```ts
 * const h = conv(ctx, 'input', { name: 'conv1', inC: 3, outC: 64, k: 3, pad: 1 });
 * ```
 */
export function conv(ctx: LayerContext, x: string, s: ConvSpec): string {
  const fanIn = s.inC * s.k * s.k;
  const bound = 1 / Math.sqrt(fanIn);
  const inputs = [x, ctx.b.weight(`${s.name}.weight`, uniformArray(s.outC * fanIn, bound, ctx.random), [s.outC, s.inC, s.k, s.k])];
  if (s.bias) inputs.push(ctx.b.weight(`${s.name}.bias`, uniformArray(s.outC, bound, ctx.random), [s.outC]));
  const p = s.pad ?? 0;
  const st = s.stride ?? 1;
  return ctx.b.op('Conv', inputs, { kernel_shape: [s.k, s.k], strides: [st, st], pads: [p, p, p, p] }, { name: `/${s.name}/Conv` });
}

/**
 * A BatchNorm2d (`<name>.weight`, `.bias`, `.running_mean`, `.running_var`; ε 1e-5, momentum 0.9 in ONNX's convention).
 *
 * @example
 * ```ts
 * const h = batchNorm(ctx, x, 'bn1', 64);
 * ```
 */
export function batchNorm(ctx: LayerContext, x: string, name: string, channels: number): string {
  const { b } = ctx;
  const fill = (v: number) => new Float32Array(channels).fill(v);
  return b.op(
    'BatchNormalization',
    [
      x,
      b.weight(`${name}.weight`, fill(1), [channels]),
      b.weight(`${name}.bias`, fill(0), [channels]),
      b.weight(`${name}.running_mean`, fill(0), [channels]),
      b.weight(`${name}.running_var`, fill(1), [channels]),
    ],
    { epsilon: float(1e-5), momentum: float(0.9) },
    { name: `/${name}/BatchNormalization` },
  );
}

/**
 * A Linear layer as Gemm with transB (`<name>.weight` [out, in], `<name>.bias`).
 *
 * @example
 * ```ts
 * const logits = linear(ctx, h, 'fc', 512, 10);
 * ```
 */
export function linear(ctx: LayerContext, x: string, name: string, inF: number, outF: number, output?: string): string {
  const bound = 1 / Math.sqrt(inF);
  const w = ctx.b.weight(`${name}.weight`, uniformArray(outF * inF, bound, ctx.random), [outF, inF]);
  const bias = ctx.b.weight(`${name}.bias`, uniformArray(outF, bound, ctx.random), [outF]);
  return ctx.b.op('Gemm', [x, w, bias], { transB: 1 }, { name: `/${name}/Gemm`, outputs: output ? [output] : 1 });
}

/** ReLU. @example `relu(ctx, h)` */
export const relu = (ctx: LayerContext, x: string): string => ctx.b.op('Relu', [x]);

/** k×k max pooling with stride k (or the given stride and pad). @example `maxPool(ctx, h, 2)` */
export function maxPool(ctx: LayerContext, x: string, k: number, stride = k, pad = 0): string {
  return ctx.b.op('MaxPool', [x], { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] });
}

/** Global average pooling then flatten to [N, C]. @example `globalPoolFlat(ctx, h)` */
export function globalPoolFlat(ctx: LayerContext, x: string): string {
  return ctx.b.op('Flatten', [ctx.b.op('GlobalAveragePool', [x])], { axis: 1 });
}
