/**
 * Spatially local ops for incremental inference (Nakandala et al. 2019, "Incremental and
 * Approximate Inference for Faster Occlusion-based Deep CNN Explanations",
 * https://arxiv.org/abs/1902.06693): ops whose output at a pixel depends only on a bounded window
 * of input pixels, so a change inside a box of the input changes only a computable box of the
 * output, and that box can be recomputed from a crop of the inputs.
 *
 * Two kinds: `window` ops (Conv, MaxPool, AveragePool without padding) and `pointwise` ops
 * (activations, BatchNormalization, arithmetic with per-channel constants or between activations
 * of one spatial size, Concat along channels).
 */
import { attrInt, attrInts, attrString, makeAttributes, withoutAttrs } from '../../onnx/attributes.js';
import type { Graph } from '../../onnx/graph.js';
import type { NodeProto } from '../../onnx/proto.js';

/** A half-open range [start, end) along one spatial axis; start ≥ end means empty. */
export type Range = readonly [number, number];

/** A window op along one axis: kernel extent, stride, leading pad and dilation. */
export interface AxisWindow {
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number;
  readonly dilation: number;
}

/** How a local node maps a changed input range to a changed output range, per spatial axis. */
export type LocalOp = { readonly kind: 'window'; readonly axes: readonly [AxisWindow, AxisWindow]; readonly padValue: number } | { readonly kind: 'pointwise' };

const UNARY = new Set([
  'Relu',
  'LeakyRelu',
  'PRelu',
  'Clip',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'Elu',
  'Selu',
  'Softplus',
  'Identity',
  'Neg',
  'Abs',
  'Exp',
  'Sqrt',
  'BatchNormalization',
]);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Sum']);

/** True when a constant of these dims broadcasts against [N, C, H, W] without varying over H and W. */
function perChannelConstant(dims: readonly number[]): boolean {
  const rank4 = [...new Array(Math.max(0, 4 - dims.length)).fill(1), ...dims];
  return rank4.length === 4 && rank4[2] === 1 && rank4[3] === 1;
}

function windowAxes(node: NodeProto, kernel: readonly number[]): [AxisWindow, AxisWindow] | undefined {
  const pads = attrInts(node, 'pads', [0, 0, 0, 0]);
  const strides = attrInts(node, 'strides', [1, 1]);
  const dilations = attrInts(node, 'dilations', [1, 1]);
  if (kernel.length !== 2 || pads.length !== 4 || strides.length !== 2 || dilations.length !== 2) return undefined;
  const axis = (i: number): AxisWindow => ({
    kernel: kernel[i] as number,
    stride: strides[i] as number,
    pad: pads[i] as number,
    dilation: dilations[i] as number,
  });
  return [axis(0), axis(1)];
}

/**
 * The local behaviour of `node`, or undefined when it is not spatially local (or uses a variant
 * this module does not crop correctly: auto_pad, padded average pooling, a constant that varies
 * over H and W). `isActivation(name)` tells activations (4-D, batch-major) from constants.
 *
 * @example
 * ```ts
 * localOp(convNode, graph, (t) => !graph.isInitializer(t)); // { kind: 'window', axes: [...], padValue: 0 }
 * ```
 */
export function localOp(node: NodeProto, graph: Graph, isActivation: (name: string) => boolean): LocalOp | undefined {
  const inputs = (node.input ?? []).filter(Boolean);
  const activations = inputs.filter(isActivation);
  const constants = inputs.filter((i) => !isActivation(i));
  if (activations.length === 0 || (node.output ?? []).filter(Boolean).length !== 1) return undefined;
  if (attrString(node, 'auto_pad', 'NOTSET') !== 'NOTSET') return undefined;
  const op = node.opType ?? '';
  if (op === 'Conv' || op === 'MaxPool' || op === 'AveragePool') {
    if (activations.length !== 1 || activations[0] !== inputs[0]) return undefined;
    if (op === 'Conv' && !graph.isInitializer(inputs[1] ?? '')) return undefined;
    if (op === 'MaxPool' && attrInt(node, 'storage_order', 0) !== 0) return undefined;
    const kernel = op === 'Conv' ? graph.initializerDims(inputs[1] as string).slice(2) : attrInts(node, 'kernel_shape', []);
    const axes = windowAxes(node, kernel);
    if (!axes) return undefined;
    // Without padding or ceil mode, average pooling never reads outside the map, so counts match.
    if (op === 'AveragePool' && (axes.some((a) => a.pad !== 0) || attrInt(node, 'ceil_mode', 0) !== 0)) return undefined;
    return { kind: 'window', axes, padValue: op === 'MaxPool' ? Number.NEGATIVE_INFINITY : 0 };
  }
  // BatchNormalization's parameters are per channel by definition; other constants broadcast.
  const constantsLocal = constants.every((c) => graph.isInitializer(c) && (op === 'BatchNormalization' || perChannelConstant(graph.initializerDims(c))));
  if (UNARY.has(op) && activations.length === 1 && activations[0] === inputs[0] && constantsLocal) return { kind: 'pointwise' };
  if (BINARY.has(op) && constantsLocal) return { kind: 'pointwise' };
  if (op === 'Concat' && attrInt(node, 'axis', 0) === 1 && constants.length === 0) return { kind: 'pointwise' };
  return undefined;
}

/**
 * The output range a window op changes when its input changes over `changed`, clamped to an
 * output of `outSize`: output o reads inputs o·s − p … o·s − p + (k − 1)·d.
 *
 * @example
 * ```ts
 * windowOutputRange([10, 18], { kernel: 3, stride: 1, pad: 1, dilation: 1 }, 32); // [9, 19]
 * ```
 */
export function windowOutputRange(changed: Range, w: AxisWindow, outSize: number): Range {
  const [a, b] = changed;
  if (a >= b) return [0, 0];
  const lo = Math.max(0, Math.ceil((a + w.pad - (w.kernel - 1) * w.dilation) / w.stride));
  const hi = Math.min(outSize - 1, Math.floor((b - 1 + w.pad) / w.stride));
  return lo > hi ? [0, 0] : [lo, hi + 1];
}

/**
 * The input range a window op reads to compute outputs [start, start + size): the crop that a
 * padding-free copy of the op turns into exactly `size` outputs.
 *
 * @example
 * ```ts
 * windowInputRange(4, 6, { kernel: 3, stride: 2, pad: 1, dilation: 1 }); // [7, 20]
 * ```
 */
export function windowInputRange(start: number, size: number, w: AxisWindow): Range {
  const first = start * w.stride - w.pad;
  return [first, first + (size - 1) * w.stride + (w.kernel - 1) * w.dilation + 1];
}

/**
 * The node to run on crops: a window op loses its padding (the crops carry it) and ceil mode.
 *
 * @example
 * ```ts
 * const cropNode = cropVariant(convNode); // same op and weights, pads [0, 0, 0, 0]
 * ```
 */
export function cropVariant(node: NodeProto, op: LocalOp): NodeProto {
  if (op.kind !== 'window') return node;
  return { ...node, attribute: [...withoutAttrs(node, ['pads', 'ceil_mode']), ...makeAttributes({ pads: [0, 0, 0, 0] })] };
}
