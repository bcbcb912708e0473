/**
 * The side-by-side figure of the RESULTS.md interpretable-CNN section, after Figure 1 of Zhang, Wu &
 * Zhu (CVPR 2018, https://arxiv.org/abs/1710.00935): the mean activation maps of the same top
 * filters (the first ones, not picked) over one class's images, ordinary net above, interpretable net
 * below. Written to `docs/results/icnn-maps.svg`.
 */
import { readFileSync } from 'node:fs';
import { imageFolder } from '../../src/datasets/node/image-folder.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { graphFromBytes } from '../../src/onnx/builder.js';
import { mapSvg } from '../../src/render/report/filter-maps.js';
import { type FilterMaps, filterMaps } from '../../src/training/interpretable/filter-maps.js';

/** Where the figure goes, relative to the repository. @example `writeFile(ICNN_FIGURE, svg)` */
export const ICNN_FIGURE = 'docs/results/icnn-maps.svg';

/**
 * The figure's SVG for two nets' maps of the same layer and class: one row per net, `count` filters.
 *
 * @example
 * ```ts
 * const svg = mapsFigure([['ordinary', plain], ['interpretable', icnn]], 8, 'bird');
 * ```
 */
export function mapsFigure(rows: readonly (readonly [string, FilterMaps])[], count: number, className: string): string {
  const size = 72;
  const gap = 8;
  const left = 110;
  const top = 40;
  const width = left + count * (size + gap);
  const height = top + rows.length * (size + 28);
  const parts: string[] = [];
  parts.push(
    `<text x="0" y="16" font-size="13" font-family="sans-serif">Mean activation map over ${rows[0]?.[1].images ?? 0} ${className} images, filters 0–${count - 1}, each scaled to its own maximum</text>`,
  );
  rows.forEach(([label, m], r) => {
    const y = top + r * (size + 28);
    parts.push(`<text x="0" y="${y + size / 2}" font-size="13" font-family="sans-serif">${label}</text>`);
    const cells = m.h * m.w;
    for (let f = 0; f < Math.min(count, m.filters); f++) {
      const x = left + f * (size + gap);
      const map = m.mean.subarray(f * cells, (f + 1) * cells);
      parts.push(`<g transform="translate(${x},${y})">${mapSvg(map, m.h, m.w, size, `${label} filter ${f}`)}</g>`);
      parts.push(`<text x="${x}" y="${y + size + 14}" font-size="11" font-family="sans-serif">filter ${f}</text>`);
    }
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>\n`;
}

/**
 * How many different cells the filters' mean maps peak at (filters whose mean map is all zero are
 * left out): 1 means every filter fires, on average, at the same place.
 *
 * @example
 * ```ts
 * distinctPeaks({ h: 1, w: 2, filters: 3, mean: new Float64Array([1, 0, 2, 0, 0, 3]) } as FilterMaps); // 2
 * ```
 */
export function distinctPeaks(m: FilterMaps): number {
  const cells = m.h * m.w;
  const peaks = new Set<number>();
  for (let f = 0; f < m.filters; f++) {
    const map = m.mean.subarray(f * cells, (f + 1) * cells);
    const max = Math.max(...map);
    if (max > 0) peaks.add(map.indexOf(max));
  }
  return peaks.size;
}

/** The figure and, per net, {@link distinctPeaks} over all its filters. */
export interface MapsFigure {
  readonly svg: string;
  readonly peaks: { readonly plain: number; readonly icnn: number };
}

/**
 * Reads both checkpoints' maps of `layer` over class `className` of the class folder `classes`
 * and returns the figure.
 *
 * @example
 * ```ts
 * const { svg, peaks } = await modelsFigure('plain.onnx', 'icnn.onnx', 'pair-bird', 'Relu_33', 128, 'bird');
 * ```
 */
export async function modelsFigure(
  plain: string,
  icnn: string,
  classes: string,
  layer: string,
  size: number,
  className: string,
  count = 8,
  signal?: AbortSignal,
): Promise<MapsFigure> {
  const data = await imageFolder(classes, { sampleShape: [3, size, size] });
  const k = data.classNames?.indexOf(className) ?? 0;
  const maps = async (model: string) => filterMaps(nodeRuntime, graphFromBytes(readFileSync(model)), layer, data, k, { signal });
  const [a, b] = [await maps(plain), await maps(icnn)];
  const svg = mapsFigure(
    [
      ['ordinary', a],
      ['interpretable', b],
    ],
    count,
    className,
  );
  return { svg, peaks: { plain: distinctPeaks(a), icnn: distinctPeaks(b) } };
}
