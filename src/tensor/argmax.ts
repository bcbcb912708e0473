/**
 * The largest value of one `h × w` plane of a flat array and where it is: the one scan that the
 * peak-unit metrics (location instability, Zhang et al. 2018, https://arxiv.org/abs/1710.00935)
 * and top patches (Zeiler & Fergus 2014, https://arxiv.org/abs/1311.2901) share.
 */

/** The largest value of a plane and its flat (row-major) position. */
export interface PlaneMax {
  readonly value: number;
  readonly at: number;
}

/**
 * The largest of the `h·w` values of `act` starting at `base`, and its row-major position
 * `i·w + j`. On ties the first in row-major order (`order: 'row'`, the default) or in
 * column-major order (`'column'`: smallest column, then smallest row). NaN never wins; an
 * all-NaN plane gives `-Infinity` at 0.
 *
 * @example
 * ```ts
 * planeArgmax(new Float32Array([0, 2, 2, 1]), 0, 2, 2); // { value: 2, at: 1 }
 * planeArgmax(new Float32Array([0, 2, 2, 1]), 0, 2, 2, 'column'); // { value: 2, at: 2 }
 * ```
 */
export function planeArgmax(act: ArrayLike<number>, base: number, h: number, w: number, order: 'row' | 'column' = 'row'): PlaneMax {
  let value = Number.NEGATIVE_INFINITY;
  let at = 0;
  if (order === 'row') {
    const plane = h * w;
    for (let p = 0; p < plane; p++) {
      const v = act[base + p] as number;
      if (v > value) {
        value = v;
        at = p;
      }
    }
  } else {
    for (let j = 0; j < w; j++) {
      for (let i = 0; i < h; i++) {
        const v = act[base + i * w + j] as number;
        if (v > value) {
          value = v;
          at = i * w + j;
        }
      }
    }
  }
  return { value, at };
}
