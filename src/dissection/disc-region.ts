/**
 * The image region of a unit's valid activations drawn as round receptive fields, the way the
 * interpretable-CNN paper draws it for its part interpretability (Zhang, Wu & Zhu 2018,
 * https://arxiv.org/abs/1710.00935, §5.2.1 and footnote 5): every cell of the map above the
 * threshold stands for a round region of one radius centred on it, and the unit's region on the image
 * is their union. NetDissect's alternative (the map upsampled bilinearly, then thresholded) is
 * `maskAbove` in `tally.ts`.
 */

import { unitCenter } from '../metrics/peak-units.js';

/**
 * Marks, in `seen` (sh × sw, all zero on entry and left all zero), the union of the round regions of
 * the cells of `map` (h × w from `offset`) whose value exceeds `threshold`, and writes the marked
 * pixels' flat indices to `out` in raster order; returns how many. Only the regions' bounding box
 * is read back and cleared, not the whole segmentation (a unit fires on a few cells).
 *
 * Geometry, in the segmentation's pixels: cell (i, j) is centred at ((i + ½)·sh/h, (j + ½)·sw/w),
 * and pixel (y, x), whose centre is (y + ½, x + ½), is in the cell's region when
 * ((y + ½ − cy) / (ry·sh))² + ((x + ½ − cx) / (rx·sw))² ≤ 1. With `ry = r / H` and `rx = r / W` for a
 * model input of H × W, that is a circle of radius r input pixels, whatever the segmentation's size.
 *
 * @example
 * ```ts
 * // A 2×2 map on a 4×4 segmentation; only cell (0, 0) is valid; radius 1 px of a 4-px input.
 * const out = new Int32Array(16);
 * discRegion(Float32Array.of(5, 0, 0, 0), 0, 2, 2, 4, 4, 1, 0.25, 0.25, new Uint8Array(16), out); // 4: pixels 0, 1, 4, 5
 * ```
 */
export function discRegion(
  map: Float32Array,
  offset: number,
  h: number,
  w: number,
  sh: number,
  sw: number,
  threshold: number,
  ry: number,
  rx: number,
  seen: Uint8Array,
  out: Int32Array,
): number {
  const ay = ry * sh;
  const ax = rx * sw;
  // The bounding box of every stamp, rows [top, bottom] and columns [left, right].
  let top = sh;
  let bottom = -1;
  let left = sw;
  let right = -1;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      if (!((map[offset + i * w + j] as number) > threshold)) continue;
      const [cx, cy] = unitCenter(i, j, h, w, sw, sh);
      stamp(seen, sh, sw, cy, cx, ay, ax);
      top = Math.min(top, Math.max(0, Math.floor(cy - ay - 0.5)));
      bottom = Math.max(bottom, Math.min(sh - 1, Math.ceil(cy + ay - 0.5)));
      left = Math.min(left, Math.max(0, Math.floor(cx - ax - 0.5)));
      right = Math.max(right, Math.min(sw - 1, Math.ceil(cx + ax - 0.5)));
    }
  }
  let count = 0;
  for (let y = top; y <= bottom; y++) {
    for (let k = y * sw + left; k <= y * sw + right; k++) {
      if (!seen[k]) continue;
      out[count++] = k;
      seen[k] = 0;
    }
  }
  return count;
}

/** Marks the pixels of `seen` (sh × sw) whose centres lie in the ellipse of radii (ay, ax) around (cy, cx). */
function stamp(seen: Uint8Array, sh: number, sw: number, cy: number, cx: number, ay: number, ax: number): void {
  const y0 = Math.max(0, Math.floor(cy - ay - 0.5));
  const y1 = Math.min(sh - 1, Math.ceil(cy + ay - 0.5));
  for (let y = y0; y <= y1; y++) {
    const dy = (y + 0.5 - cy) / ay;
    const rest = 1 - dy * dy;
    if (rest < 0) continue;
    const half = ax * Math.sqrt(rest);
    // x + ½ within [cx − half, cx + half].
    const x0 = Math.max(0, Math.ceil(cx - half - 0.5));
    const x1 = Math.min(sw - 1, Math.floor(cx + half - 0.5));
    const row = y * sw;
    for (let x = x0; x <= x1; x++) seen[row + x] = 1;
  }
}
