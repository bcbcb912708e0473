/**
 * A unit's thresholded mask drawn over an image: the map upsampled (bilinear, half-pixel centres)
 * to the image size, pixels outside `up > threshold` dimmed, the mask's edge drawn in orange.
 */
import type { RgbImage } from '../io/image.js';
import { maskAbove } from './tally.js';

/**
 * Draws the mask of `map` (h × w) at `threshold` over `image`.
 *
 * @example
 * ```ts
 * const shown = maskOverlay(image, top.map, 7, 7, thresholds[u]);
 * ```
 */
export function maskOverlay(image: RgbImage, map: Float32Array, h: number, w: number, threshold: number): RgbImage {
  const { width, height, rgb } = image;
  const idx = new Int32Array(width * height);
  const count = maskAbove(map, 0, h, w, height, width, threshold, idx);
  const inside = new Uint8Array(width * height);
  for (let k = 0; k < count; k++) inside[idx[k] as number] = 1;
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const on = inside[p] === 1;
      const edge =
        on && (x === 0 || y === 0 || x === width - 1 || y === height - 1 || !inside[p - 1] || !inside[p + 1] || !inside[p - width] || !inside[p + width]);
      for (let c = 0; c < 3; c++) {
        const v = rgb[p * 3 + c] as number;
        out[p * 3 + c] = edge ? ([255, 140, 0][c] as number) : on ? v : Math.round(v * 0.3);
      }
    }
  }
  return { rgb: out, width, height };
}
