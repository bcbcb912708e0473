/**
 * Sliding-window geometry in TensorFlow's terms, turned into ONNX Conv/Pool attributes.
 *
 * TF `same` padding puts the odd pixel of padding at the END (bottom/right), e.g. a 3×3 stride-2
 * window over 224 pads 0 before and 1 after. The converter therefore writes explicit `pads`
 * whenever the input size is known, and `auto_pad: SAME_UPPER` (the same rule) when it is not.
 * See https://www.tensorflow.org/api_docs/python/tf/nn#notes_on_padding_2
 */
import type { AttrValue } from '../onnx/attributes.js';

/** A 2-D sliding window: kernel, strides and dilations as `[height, width]`, and the padding mode. */
export interface Window2D {
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  readonly padding: 'same' | 'valid';
}

/**
 * Reads a Keras int-or-pair config value (`3`, `[3, 3]`), or `fallback` when absent.
 *
 * @example
 * ```ts
 * pairOf([2, 1], [1, 1]); // [2, 1]
 * pairOf(3, [1, 1]);      // [3, 3]
 * ```
 */
export function pairOf(v: unknown, fallback: readonly [number, number]): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && typeof v[0] === 'number') return [v[0], typeof v[1] === 'number' ? v[1] : v[0]];
  return [...fallback];
}

/**
 * The `[before, after]` padding TF `same` adds along one axis.
 *
 * @example
 * ```ts
 * samePads(224, 3, 2, 1); // [0, 1]
 * samePads(7, 3, 1, 1);   // [1, 1]
 * ```
 */
export function samePads(input: number, kernel: number, stride: number, dilation: number): [number, number] {
  const effective = (kernel - 1) * dilation + 1;
  const output = Math.ceil(input / stride);
  const total = Math.max((output - 1) * stride + effective - input, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/**
 * The output size of a window along one axis (`null` when the input size is unknown).
 *
 * @example
 * ```ts
 * windowOutputSize(224, 3, 2, 1, 'same');  // 112
 * windowOutputSize(225, 3, 2, 1, 'valid'); // 112
 * ```
 */
export function windowOutputSize(input: number | null, kernel: number, stride: number, dilation: number, padding: 'same' | 'valid'): number | null {
  if (input === null) return null;
  if (padding === 'same') return Math.ceil(input / stride);
  const effective = (kernel - 1) * dilation + 1;
  return Math.max(Math.floor((input - effective) / stride) + 1, 0);
}

/**
 * ONNX Conv/MaxPool/AveragePool attributes for a TF window over an NHWC input of spatial size `[h, w]`.
 *
 * @param withDilations Conv and MaxPool take `dilations`; AveragePool (before opset 19) does not.
 * @example
 * ```ts
 * windowAttrs({ kernel: [3, 3], strides: [2, 2], dilations: [1, 1], padding: 'same' }, [224, 224], true);
 * // { kernel_shape: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 1, 1] }
 * ```
 */
export function windowAttrs(win: Window2D, spatial: readonly [number | null, number | null], withDilations: boolean): Record<string, AttrValue> {
  const attrs: Record<string, AttrValue> = { kernel_shape: [...win.kernel], strides: [...win.strides] };
  if (withDilations) attrs.dilations = [...win.dilations];
  if (win.padding === 'valid') return attrs;
  const [h, w] = spatial;
  if (h === null || w === null) return { ...attrs, auto_pad: 'SAME_UPPER' };
  const [top, bottom] = samePads(h, win.kernel[0], win.strides[0], win.dilations[0]);
  const [left, right] = samePads(w, win.kernel[1], win.strides[1], win.dilations[1]);
  return { ...attrs, pads: [top, left, bottom, right] };
}

/**
 * The NHWC output shape of a window with `channels` output channels.
 *
 * @example
 * ```ts
 * windowOutputShape([null, 224, 224, 3], win, 32); // [null, 112, 112, 32]
 * ```
 */
export function windowOutputShape(input: readonly (number | null)[], win: Window2D, channels: number | null): (number | null)[] {
  const h = windowOutputSize(input[1] ?? null, win.kernel[0], win.strides[0], win.dilations[0], win.padding);
  const w = windowOutputSize(input[2] ?? null, win.kernel[1], win.strides[1], win.dilations[1], win.padding);
  return [input[0] ?? null, h, w, channels];
}
