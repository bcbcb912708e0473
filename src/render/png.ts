/**
 * The Node side of rendering a map as a stand-alone PNG (`lucerna attribute --out map.png`): the
 * map drawn in one of the overlay modes, with a colour bar under it that gives the real values at
 * its ends and middle (so a PNG alone is never an unscaled picture). Composed with sharp.
 */
import sharp from 'sharp';
import { LucernaError } from '../errors.js';
import { encodeRgbPng } from '../io/image.js';
import type { Tensor } from '../tensor/tensor.js';
import { colorBarSvg } from './colorbar.js';
import { autoSign, planeOf, type RgbPixels } from './heatmap.js';
import { modeSign, type Overlay, type OverlayMode, renderOverlay } from './overlay.js';
import type { RangeFloor, Sign } from './scale.js';

/** Options of {@link mapPng}. */
export interface MapPngOptions {
  readonly mode: OverlayMode;
  /** The image the map explains, at the map's size (every mode but `heatmap` needs it). */
  readonly image?: RgbPixels;
  /** Draw the colour bar (modes with a colormap only: `heatmap`, `blended`). Default true. */
  readonly colorBar?: boolean;
  /** Which sign to show (the method's `display`); default: `all` when the plane has negatives, else `positive`. */
  readonly sign?: Sign;
  /** Bottom of one-sided ranges: `zero` (default) or a low percentile. */
  readonly floor?: RangeFloor;
}

/** Width of the colour bar strip at least, so its three labels fit under a small map. */
const MIN_BAR_WIDTH = 200;

/** The SVG colour bar, rasterised by sharp (its SVG needs the namespace, which the HTML form leaves out). */
async function colorBarPng(overlay: Overlay, width: number): Promise<{ png: Buffer; height: number }> {
  const svg = colorBarSvg({
    colormap: overlay.colormap as NonNullable<Overlay['colormap']>,
    range: overlay.range,
    id: 'bar',
    width,
    ticks: 3,
    clipped: { high: overlay.clipped > 0 && overlay.range.source !== 'fixed', low: overlay.range.sign === 'all' && overlay.clipped > 0 },
  }).replace('<svg ', '<svg xmlns="http://www.w3.org/2000/svg" ');
  const png = await sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).png().toBuffer();
  const meta = await sharp(png).metadata();
  return { png, height: meta.height as number };
}

/**
 * Renders one plane ([H, W] or [1, 1, H, W]) as PNG bytes in the given mode, with a colour bar
 * below for `heatmap` and `blended`. A signed map shown `masked` or `alpha-scaling` shows its
 * positive part (those modes show magnitudes). Returns the overlay too, for its range.
 *
 * @example
 * ```ts
 * const { png, overlay } = await mapPng(reduceChannels(attribution, 'sum'), { mode: 'blended', image });
 * await writeFileAtomic('map.png', png);
 * ```
 */
export async function mapPng(plane: Tensor, options: MapPngOptions): Promise<{ png: Uint8Array; overlay: Overlay }> {
  const { values } = planeOf(plane);
  if (options.mode !== 'heatmap' && !options.image) {
    throw new LucernaError(
      'BAD_OPTION',
      `--mode ${options.mode} draws the map over its image, but the input is not an image`,
      'Give an image as --input, or use --mode heatmap',
    );
  }
  const sign = modeSign(options.sign ?? autoSign(values), options.mode);
  const overlay = renderOverlay(plane, options.image, { mode: options.mode, sign, ...(options.floor ? { floor: options.floor } : {}) });
  const picture = await encodeRgbPng(overlay.rgb, overlay.width, overlay.height);
  if (options.colorBar === false || !overlay.colormap) return { png: picture, overlay };
  const width = Math.max(overlay.width, MIN_BAR_WIDTH);
  const bar = await colorBarPng(overlay, width);
  const gap = 4;
  const composed = await sharp({ create: { width, height: overlay.height + gap + bar.height, channels: 3, background: '#ffffff' } })
    .composite([
      { input: Buffer.from(picture.buffer, picture.byteOffset, picture.byteLength), left: Math.floor((width - overlay.width) / 2), top: 0 },
      { input: bar.png, left: 0, top: overlay.height + gap },
    ])
    .png()
    .toBuffer();
  return { png: new Uint8Array(composed.buffer, composed.byteOffset, composed.byteLength), overlay };
}
