/**
 * The Node side of rendering: rendered pixels → PNG bytes (through sharp) and `data:` URIs for
 * self-contained HTML.
 */
import { encodeRgbPng } from '../io/image.js';
import type { RgbPixels } from './heatmap.js';

/**
 * PNG bytes as a `data:image/png;base64,…` URI.
 *
 * @example
 * ```ts
 * pngDataUri(new Uint8Array([0x89, 0x50])); // 'data:image/png;base64,iVA='
 * ```
 */
export function pngDataUri(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}`;
}

/**
 * Encodes rendered pixels as PNG and returns them as a data URI, ready for `<img src>`.
 *
 * @example
 * ```ts
 * const src = await pixelsToDataUri(renderOverlay(map, image, { mode: 'blended' }));
 * ```
 */
export async function pixelsToDataUri(pixels: RgbPixels): Promise<string> {
  return pngDataUri(await encodeRgbPng(pixels.rgb, pixels.width, pixels.height));
}
