/**
 * Where a filter fires: the peak unit of each channel of one activation map, and the image point a
 * unit stands for. Used by location instability (Zhang et al. 2018, "Interpretable Convolutional
 * Neural Networks", https://arxiv.org/abs/1710.00935).
 */
import { planeArgmax } from '../tensor/argmax.js';
import type { ReceptiveField } from '../visualization/receptive-field.js';

/** Peak of every channel of one sample: value, row and column of the largest unit. */
export interface ChannelPeaks {
  readonly value: Float32Array;
  readonly row: Int32Array;
  readonly col: Int32Array;
}

/**
 * The largest unit of every channel of one sample `[C, h, w]` starting at `offset` in `act`. On
 * ties, the first in row-major order (`order: 'row'`, the default definition), or the first in
 * column-major order (`'column'`: smallest column, then smallest row, as the ICNN authors'
 * `argmax` over rows and then columns picks it). NaN units never win.
 *
 * @example
 * ```ts
 * const p = channelPeaks(new Float32Array([0, 2, 2, 1]), 0, 1, 2, 2);
 * [p.row[0], p.col[0], p.value[0]]; // [0, 1, 2]
 * ```
 */
export function channelPeaks(act: ArrayLike<number>, offset: number, channels: number, h: number, w: number, order: 'row' | 'column' = 'row'): ChannelPeaks {
  const value = new Float32Array(channels);
  const row = new Int32Array(channels);
  const col = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    const peak = planeArgmax(act, offset + c * h * w, h, w, order);
    value[c] = peak.value;
    row[c] = Math.floor(peak.at / w);
    col[c] = peak.at % w;
  }
  return { value, row, col };
}

/**
 * The image point unit (i, j) of an h×w map stands for in the default protocol:
 * ((j + 0.5)·W/w, (i + 0.5)·H/h), with W×H the model input size.
 *
 * @example
 * ```ts
 * unitCenter(0, 0, 4, 4, 64, 64); // [8, 8]
 * ```
 */
export function unitCenter(i: number, j: number, h: number, w: number, width: number, height: number): [number, number] {
  return [((j + 0.5) * width) / w, ((i + 0.5) * height) / h];
}

/**
 * The centre of unit (i, j)'s receptive field, in continuous image coordinates (pixel p covers
 * [p, p + 1)): the ICNN authors' `x2P` (the middle of the first and last pixel seen), moved from
 * their 1-based pixel indices (as in their original MATLAB code, where both the unit index and the
 * landmarks are 1-based) to pixel centres. Their Python port subtracts 1 from an already 0-based
 * index, which shifts every position by one stride; that slip is not reproduced.
 *
 * @example
 * ```ts
 * fieldCenter({ stride: [1, 1], start: [-1, -1], size: [3, 3], global: false }, 0, 0); // [0.5, 0.5]
 * ```
 */
export function fieldCenter(field: ReceptiveField, i: number, j: number): [number, number] {
  return [field.start[1] + j * field.stride[1] + field.size[1] / 2, field.start[0] + i * field.stride[0] + field.size[0] / 2];
}
