/**
 * The image patches of `tree build --report` (Node side): for each (node, filter) the page draws,
 * the square around the filter's peak on the node's image where it fires most
 * ({@link patchSources}), cut from the image stretched to the model input as the model saw it,
 * about 2.5 cells of the layer wide (as the explanatory-graph report), inlined as PNG.
 */
import type { FilterPeaks } from '../../disentangle/tree/patches.js';
import { patchSources } from '../../disentangle/tree/patches.js';
import type { DecisionTree } from '../../disentangle/tree/types.js';
import { decodeRgb, encodeRgbPng, type RgbImage, resizeRgb } from '../../io/image.js';
import type { InlineImage } from '../../render/report/types.js';

/** The `side`-pixel square around (x, y), shifted to stay inside the image. */
function crop(image: RgbImage, x: number, y: number, side: number): Uint8Array {
  const s = Math.min(side, image.width, image.height);
  const x0 = Math.min(image.width - s, Math.max(0, Math.round(x - s / 2)));
  const y0 = Math.min(image.height - s, Math.max(0, Math.round(y - s / 2)));
  const out = new Uint8Array(s * s * 3);
  for (let r = 0; r < s; r++) out.set(image.rgb.subarray(((y0 + r) * image.width + x0) * 3, ((y0 + r) * image.width + x0 + s) * 3), r * s * 3);
  return out;
}

/**
 * Patches keyed `node:filter`, for the pairs `wanted`; `files[i]` is the tree's image i.
 *
 * @example
 * ```ts
 * const patches = await treePatches(tree, drawnFilters(tree), peaks, files, [64, 64]);
 * const html = await treeReportPage(tree, { title: 't', patch: (n, f) => patches.get(`${n}:${f}`) });
 * ```
 */
export async function treePatches(
  tree: DecisionTree,
  wanted: readonly (readonly [number, number])[],
  peaks: readonly FilterPeaks[],
  files: readonly string[],
  inputSize: readonly [number, number],
): Promise<Map<string, InlineImage>> {
  const [H, W] = inputSize;
  const mapHeight = peaks[0]?.height ?? 1;
  const side = Math.max(8, Math.round((2.5 * H) / mapHeight));
  const pixels = new Map<number, RgbImage>();
  const out = new Map<string, InlineImage>();
  for (const p of patchSources(tree, wanted, peaks, inputSize)) {
    let rgb = pixels.get(p.image);
    if (!rgb) {
      rgb = await resizeRgb(await decodeRgb(files[p.image] as string), W, H, 'stretch');
      pixels.set(p.image, rgb);
    }
    const s = Math.min(side, W, H);
    const png = await encodeRgbPng(crop(rgb, p.x, p.y, s), s, s);
    out.set(`${p.node}:${p.filter}`, { png: `data:image/png;base64,${Buffer.from(png).toString('base64')}`, width: s, height: s });
  }
  return out;
}
