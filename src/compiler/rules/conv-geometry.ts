/**
 * Convolution and pooling geometry: kernel, strides, dilations and explicit pads, including
 * auto_pad, plus the pads of the convolutions that run a Conv or ConvTranspose backwards.
 *
 * Sizes along one spatial axis use these names: n (input), m (output), k (kernel), d (dilation),
 * s (stride), K = (k − 1)·d + 1 (the dilated kernel extent), pb and pe (begin and end pads).
 * Conv reads x[o·s − pb + j·d] for output o and kernel tap j.
 */
import { LucernaError } from '../../errors.js';
import { attrInt, attrInts, attrString, hasAttr } from '../../onnx/attributes.js';
import type { NodeProto } from '../../onnx/proto.js';

/** Spatial geometry of a Conv/Pool node with every default resolved. */
export interface WindowGeometry {
  readonly kernel: number[];
  readonly strides: number[];
  readonly dilations: number[];
  /** ONNX order: all begins, then all ends. */
  readonly pads: number[];
  readonly group: number;
}

/**
 * The extent K = (k − 1)·d + 1 of a kernel of size k with dilation d.
 *
 * @example
 * ```ts
 * dilatedExtent(3, 2); // 5
 * ```
 */
export function dilatedExtent(kernel: number, dilation: number): number {
  return (kernel - 1) * dilation + 1;
}

function unknownAutoPad(node: NodeProto, autoPad: string): LucernaError {
  return new LucernaError('UNSUPPORTED_MODEL', `Node "${node.name}" has unknown auto_pad "${autoPad}"`);
}

/**
 * Resolves a node's geometry for an input of spatial size `inSpatial` and a kernel of spatial size
 * `kernel`, turning auto_pad (SAME_UPPER, SAME_LOWER, VALID) into explicit pads.
 *
 * @example
 * ```ts
 * const g = windowGeometry(node, [32, 32], [3, 3]);
 * ```
 */
export function windowGeometry(node: NodeProto, inSpatial: readonly number[], kernel: readonly number[]): WindowGeometry {
  const r = inSpatial.length;
  const strides = attrInts(node, 'strides', new Array(r).fill(1));
  const dilations = attrInts(node, 'dilations', new Array(r).fill(1));
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  let pads = attrInts(node, 'pads', new Array(2 * r).fill(0));
  if (autoPad === 'VALID') pads = new Array(2 * r).fill(0);
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array(2 * r).fill(0);
    for (let i = 0; i < r; i++) {
      const inSize = inSpatial[i] as number;
      const s = strides[i] as number;
      const out = Math.ceil(inSize / s);
      const eff = dilatedExtent(kernel[i] as number, dilations[i] as number);
      const total = Math.max(0, (out - 1) * s + eff - inSize);
      const small = Math.floor(total / 2);
      const big = total - small;
      pads[i] = autoPad === 'SAME_UPPER' ? small : big;
      pads[i + r] = autoPad === 'SAME_UPPER' ? big : small;
    }
  } else if (autoPad !== 'NOTSET') {
    throw unknownAutoPad(node, autoPad);
  }
  return { kernel: [...kernel], strides, dilations, pads, group: attrInt(node, 'group', 1) };
}

/**
 * The begin pad of a ConvTranspose along one axis, as ONNX Runtime (1.30, checked by the tests)
 * resolves it: with output_shape or auto_pad SAME_* the total padding (clamped at 0) is split with
 * the larger half last for SAME_UPPER and first otherwise; explicit pads are ignored then.
 */
function transposeBeginPad(autoPad: string, total: number): number {
  const clamped = Math.max(0, total);
  return autoPad === 'SAME_UPPER' ? Math.floor(clamped / 2) : Math.ceil(clamped / 2);
}

/**
 * Resolves a ConvTranspose node's geometry for an input of spatial size `inSpatial`, a kernel of
 * spatial size `kernel` and the (probed) output size `outSpatial`.
 *
 * The end pads are *effective*: ConvTranspose writes y[i·s − pb + j·d] += x[i]·w[j], and
 * `pads` satisfy out = s·(n − 1) + K − pb − pe, so output_padding, output_shape and auto_pad are
 * all folded into them. An end pad is negative when the output extends past the last tap.
 *
 * @example
 * ```ts
 * const g = convTransposeGeometry(node, [7, 7], [4, 4], [14, 14]);
 * ```
 */
export function convTransposeGeometry(node: NodeProto, inSpatial: readonly number[], kernel: readonly number[], outSpatial: readonly number[]): WindowGeometry {
  const r = inSpatial.length;
  const strides = attrInts(node, 'strides', new Array(r).fill(1));
  const dilations = attrInts(node, 'dilations', new Array(r).fill(1));
  const outputPadding = attrInts(node, 'output_padding', new Array(r).fill(0));
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(autoPad)) throw unknownAutoPad(node, autoPad);
  const explicit = attrInts(node, 'pads', new Array(2 * r).fill(0));
  const hasOutputShape = hasAttr(node, 'output_shape');
  const pads = new Array<number>(2 * r).fill(0);
  for (let i = 0; i < r; i++) {
    const n = inSpatial[i] as number;
    const s = strides[i] as number;
    const full = s * (n - 1) + (outputPadding[i] as number) + dilatedExtent(kernel[i] as number, dilations[i] as number);
    let begin = autoPad === 'VALID' ? 0 : (explicit[i] as number);
    if (hasOutputShape) begin = transposeBeginPad(autoPad, full - (outSpatial[i] as number));
    else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') begin = transposeBeginPad(autoPad, full - n * s);
    pads[i] = begin;
    pads[i + r] = full - (outputPadding[i] as number) - begin - (outSpatial[i] as number);
  }
  return { kernel: [...kernel], strides, dilations, pads, group: attrInt(node, 'group', 1) };
}

/**
 * Pads of the stride-1 convolution with the flipped kernel that maps a zero-spread output gradient
 * of spatial size `spreadSpatial` back onto an input of spatial size `inSpatial`:
 * dx[i] = Σ_j w[k−1−j]·z[i − (K − 1 − pb) + j·d], so the begin pad is K − 1 − pb and the end pad
 * makes the result exactly n long (n + pb − L). Negative entries mean: crop z there.
 *
 * @example
 * ```ts
 * flippedConvPads(g, [5, 5], [6, 6]); // 3×3 stride 2 pad 1: [1, 1, 0, 0]
 * ```
 */
export function flippedConvPads(g: WindowGeometry, inSpatial: readonly number[], spreadSpatial: readonly number[]): number[] {
  const r = inSpatial.length;
  const pads = new Array<number>(2 * r);
  for (let i = 0; i < r; i++) {
    const begin = g.pads[i] as number;
    pads[i] = dilatedExtent(g.kernel[i] as number, g.dilations[i] as number) - 1 - begin;
    pads[i + r] = (inSpatial[i] as number) + begin - (spreadSpatial[i] as number);
  }
  return pads;
}

/**
 * The output_padding that makes ConvTranspose(dY, W) with the Conv's strides, dilations and pads
 * exactly as large as the Conv's input (the Conv drops up to s − 1 trailing rows and columns).
 *
 * @example
 * ```ts
 * transposeOutputPadding(g, [6, 6], [3, 3]); // 3×3 stride 2 pad 1: [1, 1]
 * ```
 */
export function transposeOutputPadding(g: WindowGeometry, inSpatial: readonly number[], outSpatial: readonly number[]): number[] {
  const r = inSpatial.length;
  return inSpatial.map((n, i) => {
    const covered = (g.strides[i] as number) * ((outSpatial[i] as number) - 1) + dilatedExtent(g.kernel[i] as number, g.dilations[i] as number);
    return n - (covered - (g.pads[i] as number) - (g.pads[i + r] as number));
  });
}
