/**
 * The units a QA session selects from (Zhang et al. 2017, https://arxiv.org/abs/1704.03173):
 * explanatory-graph nodes placed on each image by graph inference
 * (https://arxiv.org/abs/1708.01785), or, with no graph, every raw filter of the layers at its
 * maximum.
 */
import { inferNodePositions } from '../graph/infer.js';
import type { UnitPositions } from '../graph/locate.js';
import type { ExplanatoryGraph, ImagePeaks } from '../graph/types.js';
import type { Point, QaImage } from './types.js';

/**
 * Raw filters as units: filter f of layer l is unit Σ_{l' < l} C_{l'} + f, placed at its largest
 * peak (its maximum); a filter with no peak did not fire.
 *
 * @example
 * ```ts
 * filterUnits(imagePeaks(maps, [64, 64], 1)).x.length; // total filters of the layers
 * ```
 */
export function filterUnits(peaks: ImagePeaks): UnitPositions {
  const x: number[] = [];
  const y: number[] = [];
  const value: number[] = [];
  for (const layer of peaks)
    for (const fp of layer) {
      x.push(fp.x[0] ?? Number.NaN);
      y.push(fp.y[0] ?? Number.NaN);
      value.push(fp.value[0] ?? 0);
    }
  return { x, y, value };
}

/** One image's id, its peaks, and optionally its image-px → model-px scale and offset (`frame.ts`). */
export interface PeakImage {
  readonly id: string;
  readonly peaks: ImagePeaks;
  readonly scale?: Point;
  readonly offset?: Point;
}

/**
 * The QA images for a session: graph nodes as units when a graph is given (unit = node id),
 * raw filters otherwise.
 *
 * @example
 * ```ts
 * const images = qaImages(graph, ids.map((id, i) => ({ id, peaks: peaks[i], scale: [1, 1] })));
 * new QaSession(images, { part: 'head', inputSize: graph.inputSize });
 * ```
 */
export function qaImages(graph: ExplanatoryGraph | null, images: readonly PeakImage[]): QaImage[] {
  return images.map((im) => ({
    id: im.id,
    units: graph ? inferNodePositions(graph, im.peaks) : filterUnits(im.peaks),
    ...(im.scale ? { scale: im.scale } : {}),
    ...(im.offset ? { offset: im.offset } : {}),
  }));
}
