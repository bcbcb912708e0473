/**
 * The image patches of `tree build --report` and `tree explain --out` (Node side): for each (node, filter) the page draws,
 * the square around the filter's peak on the node's image where it fires most
 * ({@link patchSources}), cut from the image stretched to the model input as the model saw it,
 * about 2.5 cells of the layer wide (as the explanatory-graph report), inlined as PNG. On an
 * explained image's path, the patches are cut from that image.
 */
import type { FilterPeaks } from '../../disentangle/tree/patches.js';
import { patchSources } from '../../disentangle/tree/patches.js';
import type { DecisionTree } from '../../disentangle/tree/types.js';
import { cropSquare, decodeRgb, encodeRgbPng, type RgbImage, resizeRgb } from '../../io/image.js';
import type { InlineImage } from '../../render/report/types.js';

async function inline(rgb: RgbImage, x: number, y: number, side: number): Promise<InlineImage> {
  const s = Math.min(side, rgb.width, rgb.height);
  const png = await encodeRgbPng(cropSquare(rgb, x, y, s), s, s);
  return { png: `data:image/png;base64,${Buffer.from(png).toString('base64')}`, width: s, height: s };
}

/** About 2.5 cells of an h-row map, in input pixels (the explanatory-graph report's patch size). */
const patchSide = (inputHeight: number, mapHeight: number): number => Math.max(8, Math.round((2.5 * inputHeight) / mapHeight));

/**
 * Patches of one image (`tree explain`): for each filter, the square around its peak on the image,
 * keyed by filter; a filter that does not fire (peak ≤ 0) has none.
 *
 * @example
 * ```ts
 * const patches = await imagePatches('x.png', peaks, [3, 7], [64, 64]);
 * ```
 */
export async function imagePatches(
  file: string,
  peaks: FilterPeaks,
  filters: readonly number[],
  inputSize: readonly [number, number],
): Promise<Map<number, InlineImage>> {
  const [H, W] = inputSize;
  const rgb = await resizeRgb(await decodeRgb(file), W, H, 'stretch');
  const out = new Map<number, InlineImage>();
  for (const f of new Set(filters)) {
    if (!((peaks.value[f] ?? 0) > 0)) continue;
    const cell = peaks.cell[f] as number;
    const x = ((cell % peaks.width) + 0.5) * (W / peaks.width);
    const y = (Math.floor(cell / peaks.width) + 0.5) * (H / peaks.height);
    out.set(f, await inline(rgb, x, y, patchSide(H, peaks.height)));
  }
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
  const side = patchSide(H, peaks[0]?.height ?? 1);
  const pixels = new Map<number, RgbImage>();
  const out = new Map<string, InlineImage>();
  for (const p of patchSources(tree, wanted, peaks, inputSize)) {
    let rgb = pixels.get(p.image);
    if (!rgb) {
      rgb = await resizeRgb(await decodeRgb(files[p.image] as string), W, H, 'stretch');
      pixels.set(p.image, rgb);
    }
    out.set(`${p.node}:${p.filter}`, await inline(rgb, p.x, p.y, side));
  }
  return out;
}

/**
 * The explained image's heatmaps for `tree explain --out`: for each filter that contributes
 * positively at some step of the path, its activation map upsampled (bilinear) and blended over the
 * image, all on one scale (0 to the largest activation shown) so their strengths compare. `steps`
 * gives, per filter, the path nodes where it is a top contributor with its share there.
 *
 * @example
 * ```ts
 * const tiles = await pathHeatmaps('x.png', activation, map, [[3, ['node 9: 21.0 %']]], [64, 64], (f) => `filter ${f}`);
 * ```
 */
export async function pathHeatmaps(
  file: string,
  activation: Float32Array,
  map: { channels: number; height: number; width: number },
  filters: readonly (readonly [filter: number, where: readonly string[]])[],
  inputSize: readonly [number, number],
  name: (filter: number) => string,
): Promise<string> {
  const { upsampleBilinear } = await import('../../attribution/upsample.js');
  const { renderOverlay } = await import('../../render/overlay.js');
  const { heatmapTile, tileGrid } = await import('../../render/report/tile.js');
  const { pixelsToDataUri } = await import('../../render/node.js');
  const [H, W] = inputSize;
  const rgb = await resizeRgb(await decodeRgb(file), W, H, 'stretch');
  const plane = map.height * map.width;
  const top = Math.max(1e-12, ...filters.flatMap(([f]) => Array.from(activation.subarray(f * plane, (f + 1) * plane))));
  const zoom = Math.max(1, Math.floor(192 / W));
  const tiles: string[] = [];
  for (const [f, where] of filters) {
    const small = { data: activation.slice(f * plane, (f + 1) * plane), shape: [1, 1, map.height, map.width] };
    const overlay = renderOverlay(upsampleBilinear(small, [H, W]), rgb, { mode: 'blended', sign: 'positive', scale: top });
    tiles.push(
      heatmapTile({
        // Small inputs are drawn at a whole multiple of their size (pixelated), so the colour bar has room.
        image: { png: await pixelsToDataUri(overlay), width: W * zoom, height: H * zoom },
        alt: `${name(f)} on the explained image`,
        title: name(f),
        scale: { colormap: overlay.colormap ?? 'inferno', range: overlay.range, clipped: overlay.clipped, id: `tree-heat-${f}` },
        caption: where,
        imageClass: 'map',
      }),
    );
  }
  return tileGrid(tiles, 160);
}
