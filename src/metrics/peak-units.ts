/**
 * Where a filter fires: the peak unit of each channel of one activation map, and the image point a
 * unit stands for. Used by location instability (Zhang et al. 2018, "Interpretable Convolutional
 * Neural Networks", https://arxiv.org/abs/1710.00935).
 */
import type { ReceptiveField } from '../visualization/receptive-field.js';

/** Peak of every channel of one sample: value, row and column of the largest unit. */
export interface ChannelPeaks {
  readonly value: Float32Array;
  readonly row: Int32Array;
  readonly col: Int32Array;
}

/**
 * The largest unit of every channel of one sample `[C, h, w]` starting at `offset` in `act`; on
 * ties the first in row-major order. NaN units never win.
 *
 * @example
 * ```ts
 * const p = channelPeaks(new Float32Array([0, 2, 2, 1]), 0, 1, 2, 2);
 * [p.row[0], p.col[0], p.value[0]]; // [0, 1, 2]
 * ```
 */
export function channelPeaks(act: ArrayLike<number>, offset: number, channels: number, h: number, w: number): ChannelPeaks {
  const plane = h * w;
  const value = new Float32Array(channels);
  const row = new Int32Array(channels);
  const col = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    const base = offset + c * plane;
    let best = Number.NEGATIVE_INFINITY;
    let at = 0;
    for (let p = 0; p < plane; p++) {
      const v = act[base + p] as number;
      if (v > best) {
        best = v;
        at = p;
      }
    }
    value[c] = best;
    row[c] = Math.floor(at / w);
    col[c] = at % w;
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
 * [p, p + 1)): the ICNN authors' `x2P` (centre of the first and last pixel seen), shifted from
 * their 1-based pixel indices to pixel centres.
 *
 * @example
 * ```ts
 * fieldCenter({ stride: [1, 1], start: [-1, -1], size: [3, 3], global: false }, 0, 0); // [0.5, 0.5]
 * ```
 */
export function fieldCenter(field: ReceptiveField, i: number, j: number): [number, number] {
  return [field.start[1] + j * field.stride[1] + field.size[1] / 2, field.start[0] + i * field.stride[0] + field.size[0] / 2];
}
