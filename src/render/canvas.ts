/**
 * The browser side of rendering: the same RGB pixels the Node side encodes as PNG, drawn to a
 * canvas. Typed structurally, so this module needs no DOM typings and imports nothing.
 */
import type { RgbPixels } from './heatmap.js';

/**
 * Interleaved RGB → RGBA with full opacity (the layout of a canvas `ImageData`).
 *
 * @example
 * ```ts
 * const rgba = toRgba(heat.rgb); // Uint8ClampedArray(width * height * 4)
 * ```
 */
export function toRgba(rgb: Uint8Array): Uint8ClampedArray {
  const pixels = rgb.length / 3;
  const out = new Uint8ClampedArray(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    out[p * 4] = rgb[p * 3] as number;
    out[p * 4 + 1] = rgb[p * 3 + 1] as number;
    out[p * 4 + 2] = rgb[p * 3 + 2] as number;
    out[p * 4 + 3] = 255;
  }
  return out;
}

/** The part of a `CanvasRenderingContext2D` that {@link drawPixels} uses. */
export interface PixelCanvas<I extends { readonly data: Uint8ClampedArray }> {
  createImageData(width: number, height: number): I;
  putImageData(image: I, dx: number, dy: number): void;
}

/**
 * Draws rendered pixels (a heatmap, an overlay, a colour bar) onto a 2-D canvas at (x, y).
 *
 * @example
 * ```ts
 * const ctx = canvas.getContext('2d');
 * drawPixels(ctx, renderOverlay(map, image, { mode: 'blended' }));
 * ```
 */
export function drawPixels<I extends { readonly data: Uint8ClampedArray }>(ctx: PixelCanvas<I>, pixels: RgbPixels, x = 0, y = 0): void {
  const image = ctx.createImageData(pixels.width, pixels.height);
  image.data.set(toRgba(pixels.rgb));
  ctx.putImageData(image, x, y);
}
