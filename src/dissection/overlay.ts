/**
 * A unit's thresholded mask as drawn over an image in the dissection report: the map upsampled
 * (bilinear, half-pixel centres) to the drawing size and `up > threshold`, as palette indices —
 * pixels outside the mask dimmed, the mask's edge in orange, the inside clear — so the picture
 * underneath is encoded once however many units show it.
 */
import { maskAbove } from './tally.js';

/** Palette of {@link maskShades}: clear inside, outside dimmed to 30 % (black at 70 %), orange edge. */
export const MASK_PALETTE: readonly (readonly [number, number, number, number])[] = [
  [0, 0, 0, 0],
  [0, 0, 0, 179],
  [255, 140, 0, 255],
];

/**
 * The mask of `map` (h × w) at `threshold`, drawn at `height × width`: per pixel 0 (inside), 1
 * (outside) or 2 (inside, on the edge of the mask or of the picture), indices into {@link MASK_PALETTE}.
 *
 * @example
 * ```ts
 * const shades = maskShades(top.map, 7, 7, 96, 96, thresholds[u]);
 * ```
 */
export function maskShades(map: Float32Array, h: number, w: number, height: number, width: number, threshold: number): Uint8Array {
  const idx = new Int32Array(width * height);
  const count = maskAbove(map, 0, h, w, height, width, threshold, idx);
  const out = new Uint8Array(width * height).fill(1);
  for (let k = 0; k < count; k++) out[idx[k] as number] = 0;
  for (let k = 0; k < count; k++) {
    const p = idx[k] as number;
    const x = p % width;
    const y = (p - x) / width;
    const edge =
      x === 0 || y === 0 || x === width - 1 || y === height - 1 || out[p - 1] === 1 || out[p + 1] === 1 || out[p - width] === 1 || out[p + width] === 1;
    if (edge) out[p] = 2;
  }
  return out;
}
