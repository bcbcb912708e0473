/**
 * A template-matching baseline for few-shot part localisation, in the spirit of the detectors the
 * explanatory-graph paper compares with (Zhang et al. 2018, "Interpreting CNN Knowledge via an
 * Explanatory Graph", https://arxiv.org/abs/1708.01785, Table 2: Fast-RCNN and DPM variants learnt
 * from the same few annotations). A detector learnt from three positives reduces to its template:
 * the conv feature vector under the annotated part, averaged over the shots; on a new image the
 * part is the cell whose feature vector is most similar to it.
 *
 * Choices, ours:
 * - A shot's feature is the `[C]` vector of the layer's cell that contains the annotation.
 * - The template is the mean of the shots' L2-normalised features; similarity is the cosine; the
 *   part is placed at the centre of the best cell (first in row-major order on ties; the centre of
 *   the map when every cell is zero).
 * - The layer is chosen the same way as the other baselines, on the shots only: by leave-one-out
 *   (template from the other shots, matched on the left-out one; smallest mean distance, lower
 *   layer on ties); with a single shot, the top layer.
 */
import { LucernaError } from '../../errors.js';
import type { ActivationMap } from './types.js';

/** A fitted template: which layer it matches on and its unit-length feature vector. */
export interface PartTemplate {
  /** Index into the maps (lower → top). */
  readonly layer: number;
  readonly vector: Float64Array;
}

/** One annotated image: its maps (lower → top) and the part, model-input pixels `[x, y]`. */
export interface TemplateShot {
  readonly maps: readonly ActivationMap[];
  readonly part: readonly [number, number];
}

function cellOf(map: ActivationMap, inputSize: readonly [number, number], x: number, y: number): [number, number] {
  const row = Math.min(map.height - 1, Math.max(0, Math.floor((y * map.height) / inputSize[0])));
  const col = Math.min(map.width - 1, Math.max(0, Math.floor((x * map.width) / inputSize[1])));
  return [row, col];
}

function unitFeature(map: ActivationMap, row: number, col: number): Float64Array {
  const v = new Float64Array(map.channels);
  const plane = map.height * map.width;
  let norm = 0;
  for (let c = 0; c < map.channels; c++) {
    const a = map.data[c * plane + row * map.width + col] as number;
    v[c] = a;
    norm += a * a;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (let c = 0; c < map.channels; c++) (v[c] as number) /= norm;
  return v;
}

function meanVector(vectors: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(vectors[0]?.length ?? 0);
  for (const v of vectors) for (let c = 0; c < out.length; c++) (out[c] as number) += (v[c] as number) / vectors.length;
  return out;
}

/**
 * Where `vector` matches best on `map`: the centre of the most similar cell, model-input pixels.
 *
 * @example
 * ```ts
 * matchTemplate({ layer: 0, vector: Float64Array.of(1, 0) }, [map], [64, 64]); // [x, y]
 * ```
 */
export function matchTemplate(template: PartTemplate, maps: readonly ActivationMap[], inputSize: readonly [number, number]): [number, number] {
  const map = maps[template.layer];
  if (!map || map.channels !== template.vector.length)
    throw new LucernaError('BAD_SHAPE', `The template has ${template.vector.length} channels; layer ${template.layer} has ${map?.channels ?? 'none'}`);
  const plane = map.height * map.width;
  let best = -1;
  let bestScore = 0;
  for (let u = 0; u < plane; u++) {
    let dot = 0;
    let norm = 0;
    for (let c = 0; c < map.channels; c++) {
      const a = map.data[c * plane + u] as number;
      dot += a * (template.vector[c] as number);
      norm += a * a;
    }
    const score = norm > 0 ? dot / Math.sqrt(norm) : 0;
    if (best < 0 || score > bestScore) {
      best = u;
      bestScore = score;
    }
  }
  const row = Math.floor(best / map.width);
  const col = best % map.width;
  return [((col + 0.5) * inputSize[1]) / map.width, ((row + 0.5) * inputSize[0]) / map.height];
}

function templateOn(shots: readonly TemplateShot[], layer: number, inputSize: readonly [number, number]): PartTemplate {
  const vectors = shots.map((s) => {
    const map = s.maps[layer] as ActivationMap;
    const [row, col] = cellOf(map, inputSize, s.part[0], s.part[1]);
    return unitFeature(map, row, col);
  });
  return { layer, vector: meanVector(vectors) };
}

/**
 * Learns the template from the shots, choosing the layer by leave-one-out on them.
 *
 * @example
 * ```ts
 * const t = fitPartTemplate(shots, [64, 64]);
 * matchTemplate(t, mapsOfNewImage, [64, 64]); // [x, y]
 * ```
 */
export function fitPartTemplate(shots: readonly TemplateShot[], inputSize: readonly [number, number]): PartTemplate {
  if (shots.length === 0) throw new LucernaError('BAD_OPTION', 'Template matching needs at least one annotated image');
  const layers = shots[0]?.maps.length ?? 0;
  if (layers === 0) throw new LucernaError('BAD_OPTION', 'Template matching needs at least one layer');
  if (shots.length === 1) return templateOn(shots, layers - 1, inputSize);
  let bestLayer = 0;
  let bestError = Number.POSITIVE_INFINITY;
  for (let l = 0; l < layers; l++) {
    let error = 0;
    shots.forEach((held, i) => {
      const t = templateOn(
        shots.filter((_, j) => j !== i),
        l,
        inputSize,
      );
      const [x, y] = matchTemplate(t, held.maps, inputSize);
      error += Math.hypot(x - held.part[0], y - held.part[1]);
    });
    if (error < bestError) {
      bestError = error;
      bestLayer = l;
    }
  }
  return templateOn(shots, bestLayer, inputSize);
}
