/**
 * Pixel helpers for visualization outputs, pure and isomorphic: planar [0, 1] images to 8-bit RGB,
 * crops that keep their full size (grey outside the image), and grids of equal-sized cells.
 */

import { LucernaError } from '../errors.js';
import type { RgbImage } from '../io/image.js';
import type { FieldBox } from './receptive-field.js';

/** Neutral grey for areas outside an image. */
const GREY = 128;

/**
 * Image `index` of a planar batch [N, 3, H, W] with values in [0, 1] as 8-bit interleaved RGB.
 *
 * @example
 * ```ts
 * const { rgb, width, height } = planarToRgb(result.images, 0);
 * ```
 */
export function planarToRgb(images: { readonly data: Float32Array; readonly shape: readonly number[] }, index: number): RgbImage {
  const [n, c, h, w] = images.shape as [number, number, number, number];
  if (images.shape.length !== 4 || c !== 3 || index < 0 || index >= n)
    throw new LucernaError('BAD_SHAPE', `Expected images [N, 3, H, W] and an index below N, got [${images.shape.join(', ')}] and ${index}`);
  const plane = h * w;
  const base = index * 3 * plane;
  const rgb = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let ch = 0; ch < 3; ch++) {
      const v = images.data[base + ch * plane + p] as number;
      rgb[p * 3 + ch] = Math.round(Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * 255);
    }
  }
  return { rgb, width: w, height: h };
}

/**
 * The pixels of `box` (inclusive) from `image`; the parts outside the image are grey, so every
 * crop of a receptive field has the field's full size.
 *
 * @example
 * ```ts
 * const patch = cropBox(image, { top: -3, left: 10, bottom: 15, right: 28 }); // 19×19
 * ```
 */
export function cropBox(image: RgbImage, box: FieldBox): RgbImage {
  const height = box.bottom - box.top + 1;
  const width = box.right - box.left + 1;
  const rgb = new Uint8Array(width * height * 3).fill(GREY);
  for (let y = 0; y < height; y++) {
    const sy = box.top + y;
    if (sy < 0 || sy >= image.height) continue;
    for (let x = 0; x < width; x++) {
      const sx = box.left + x;
      if (sx < 0 || sx >= image.width) continue;
      const from = (sy * image.width + sx) * 3;
      rgb.set(image.rgb.subarray(from, from + 3), (y * width + x) * 3);
    }
  }
  return { rgb, width, height };
}

/**
 * Lays equal-sized cells out in a grid, `columns` wide, separated by `gap` white pixels. Empty
 * places (fewer cells than the grid holds) stay white.
 *
 * @example
 * ```ts
 * const grid = montage(patches, 3); // 9 patches → 3×3
 * ```
 */
export function montage(cells: readonly RgbImage[], columns = Math.ceil(Math.sqrt(cells.length)), gap = 2): RgbImage {
  const first = cells[0];
  if (!first) throw new LucernaError('BAD_OPTION', 'A montage needs at least one image');
  const { width: cw, height: ch } = first;
  if (cells.some((c) => c.width !== cw || c.height !== ch)) throw new LucernaError('BAD_SHAPE', 'Montage cells must all have the same size');
  const cols = Math.max(1, Math.min(columns, cells.length));
  const rows = Math.ceil(cells.length / cols);
  const width = cols * cw + (cols - 1) * gap;
  const height = rows * ch + (rows - 1) * gap;
  const rgb = new Uint8Array(width * height * 3).fill(255);
  cells.forEach((cell, i) => {
    const ox = (i % cols) * (cw + gap);
    const oy = Math.floor(i / cols) * (ch + gap);
    for (let y = 0; y < ch; y++) rgb.set(cell.rgb.subarray(y * cw * 3, (y + 1) * cw * 3), ((oy + y) * width + ox) * 3);
  });
  return { rgb, width, height };
}
