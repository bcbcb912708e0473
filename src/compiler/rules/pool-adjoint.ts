/**
 * The exact adjoint of average pooling, computed from static shapes: per-window divisors and the
 * spreading of each output gradient back over its window.
 */
import { attrInts } from '../../onnx/attributes.js';
import type { GraphBuilder } from '../../onnx/builder.js';
import type { NodeProto } from '../../onnx/proto.js';
import { windowGeometry } from './conv-geometry.js';
import { at, product } from './static-inputs.js';
import { reshapeTo } from './util.js';

/** Everything needed to invert one pooling node, with every default resolved. */
export interface PoolGeometry {
  /** Input dims [N, C, ...spatial]. */
  readonly inShape: readonly number[];
  /** Output dims [N, C, ...spatial], as the runtime computed them (ceil_mode included). */
  readonly outShape: readonly number[];
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** Explicit pads, all begins then all ends (auto_pad resolved). */
  readonly pads: readonly number[];
}

/**
 * Resolves the window geometry of an AveragePool (or MaxPool) node for static input/output dims.
 *
 * @example
 * ```ts
 * const g = averagePoolGeometry(node, [1, 8, 7, 7], [1, 8, 4, 4]);
 * ```
 */
export function averagePoolGeometry(node: NodeProto, inShape: readonly number[], outShape: readonly number[]): PoolGeometry {
  const g = windowGeometry(node, inShape.slice(2), attrInts(node, 'kernel_shape', []));
  return { inShape, outShape, kernel: g.kernel, strides: g.strides, dilations: g.dilations, pads: g.pads };
}

/**
 * For one spatial axis: how many taps of each output window fall inside `[lo, hi)`.
 *
 * @example
 * ```ts
 * tapsInside(4, 3, 2, 1, 1, 0, 7); // windows of 3 taps, stride 2, pad 1 over 7 inputs → [2, 3, 3, 2]
 * ```
 */
export function tapsInside(outLen: number, kernel: number, stride: number, dilation: number, padBegin: number, lo: number, hi: number): number[] {
  const counts: number[] = [];
  for (let o = 0; o < outLen; o++) {
    let n = 0;
    for (let t = 0; t < kernel; t++) {
      const pos = o * stride - padBegin + t * dilation;
      if (pos >= lo && pos < hi) n++;
    }
    counts.push(n);
  }
  return counts;
}

/**
 * The divisor of every output position (row-major over the spatial output dims): the number of
 * window taps inside the input (count_include_pad=0) or inside the padded input (=1). This matches
 * ONNX Runtime, which also clips ceil_mode windows at the end of the padded input.
 *
 * @example
 * ```ts
 * averagePoolDivisors(g, false); // e.g. [4, 6, 4, 6, 9, 6, 4, 6, 4] for 3×3/1 pad 1 over 3×3
 * ```
 */
export function averagePoolDivisors(g: PoolGeometry, includePad: boolean): number[] {
  const r = g.kernel.length;
  const perAxis: number[][] = [];
  for (let i = 0; i < r; i++) {
    const inLen = at(g.inShape, i + 2);
    const padBegin = at(g.pads, i);
    const lo = includePad ? -padBegin : 0;
    const hi = includePad ? inLen + at(g.pads, i + r) : inLen;
    perAxis.push(tapsInside(at(g.outShape, i + 2), at(g.kernel, i), at(g.strides, i), at(g.dilations, i), padBegin, lo, hi));
  }
  let divisors = [1];
  for (const counts of perAxis) divisors = divisors.flatMap((d) => counts.map((c) => d * c));
  return divisors;
}

/** True when the windows tile the input without overlap or padding (each input in at most one window). */
function isTiling(g: PoolGeometry): boolean {
  return g.kernel.every((k, i) => {
    const inLen = at(g.inShape, i + 2);
    const covered = at(g.outShape, i + 2) * k;
    return at(g.strides, i) === k && at(g.dilations, i) === 1 && covered <= inLen && inLen - covered < k;
  });
}

/** Non-overlapping windows: dX = expand each gradient over its k×k block, zeros for leftover rows. */
function spreadByExpand(b: GraphBuilder, dY: string, g: PoolGeometry): string {
  const r = g.kernel.length;
  const head = g.outShape.slice(0, 2);
  const interleaved = g.kernel.flatMap((k, i) => [at(g.outShape, i + 2), k]);
  const singletons = g.kernel.flatMap((_, i) => [at(g.outShape, i + 2), 1]);
  const expanded = b.op('Expand', [reshapeTo(b, dY, [...head, ...singletons]), b.constInt64([...head, ...interleaved])]);
  const covered = g.kernel.map((k, i) => at(g.outShape, i + 2) * k);
  const merged = reshapeTo(b, expanded, [...head, ...covered]);
  const leftover = covered.map((c, i) => at(g.inShape, i + 2) - c);
  if (leftover.every((v) => v === 0)) return merged;
  const pads = [0, 0, ...new Array<number>(r).fill(0), 0, 0, ...leftover];
  return b.op('Pad', [merged, b.constInt64(pads)]);
}

/**
 * Overlapping or padded windows: a ConvTranspose with a kernel of ones over the N·C planes (one
 * channel, so never a slow depthwise ConvTranspose), with end pads or output_padding chosen so the
 * result has exactly the input's size.
 */
function spreadByConvTranspose(b: GraphBuilder, dY: string, g: PoolGeometry): string {
  const r = g.kernel.length;
  const planes = at(g.inShape, 0) * at(g.inShape, 1);
  const endPads: number[] = [];
  const outputPadding: number[] = [];
  for (let i = 0; i < r; i++) {
    const span = at(g.strides, i) * (at(g.outShape, i + 2) - 1) + (at(g.kernel, i) - 1) * at(g.dilations, i) + 1;
    const extra = span - at(g.pads, i) - at(g.inShape, i + 2);
    endPads.push(Math.max(extra, 0));
    outputPadding.push(Math.max(-extra, 0));
  }
  const ones = b.constFloat(new Float32Array(product(g.kernel)).fill(1), [1, 1, ...g.kernel], 'pool_window_ones');
  const planar = reshapeTo(b, dY, [planes, 1, ...g.outShape.slice(2)]);
  const spread = b.op('ConvTranspose', [planar, ones], {
    strides: [...g.strides],
    dilations: [...g.dilations],
    pads: [...g.pads.slice(0, r), ...endPads],
    output_padding: outputPadding,
  });
  return reshapeTo(b, spread, g.inShape);
}

/**
 * The adjoint of a window sum: every input position receives the sum of the (already divided)
 * gradients of the windows that read it.
 *
 * @example
 * ```ts
 * const dX = spreadOverWindows(b, scaledDy, geometry);
 * ```
 */
export function spreadOverWindows(b: GraphBuilder, dY: string, g: PoolGeometry): string {
  const padded = g.pads.some((p) => p !== 0);
  return !padded && isTiling(g) ? spreadByExpand(b, dY, g) : spreadByConvTranspose(b, dY, g);
}
