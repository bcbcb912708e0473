/**
 * Location instability of a layer's filters on a landmark data set (Zhang, Wu & Zhu 2018,
 * "Interpretable Convolutional Neural Networks", CVPR, https://arxiv.org/abs/1710.00935): streams
 * the images through the model up to the layer in batches, keeps each filter's peak unit per image
 * (value and position only; no activation map is held), maps units to image points by the chosen
 * protocol and hands the result to {@link locationInstability}.
 *
 * Isomorphic: images arrive as lazily loaded tensors; reading files is the caller's job.
 */

import { forEachChunk, validBatchSize } from '../engine/batching.js';
import { Model } from '../engine/model.js';
import { LucernaError } from '../errors.js';
import { padBatch, type Tensor } from '../tensor/tensor.js';
import { resolveLayer, trunkGraph } from '../visualization/program.js';
import { type ReceptiveField, receptiveField } from '../visualization/receptive-field.js';
import { type InstabilityImage, type InstabilityOptions, type LayerInstability, locationInstability } from './location-instability.js';
import { type ChannelPeaks, channelPeaks, fieldCenter, unitCenter } from './peak-units.js';

/** One image: its model input `[1, …]` on demand and its landmarks in model-input pixels. */
export interface StabilityImage {
  readonly name: string;
  load(): Promise<Tensor>;
  readonly landmarks: ReadonlyMap<string, readonly [number, number]>;
}

/** Options of {@link layerStability}. */
export interface LayerStabilityOptions extends Omit<InstabilityOptions, 'width' | 'height'> {
  /** The layer: a 4-D activation tensor or a node name. */
  readonly layer: string;
  /** Model input `[height, width]` in pixels (the size landmarks are scaled to). */
  readonly inputSize: readonly [number, number];
  /** Images per engine call (default 8). */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

/** What {@link layerStability} returns: the metric plus what a report needs. */
export interface LayerStability extends LayerInstability {
  /** The resolved layer tensor. */
  readonly layer: string;
  /** The layer's shape for one image, `[C, h, w]`. */
  readonly shape: readonly [number, number, number];
  readonly receptiveField: ReceptiveField;
  /** Per image, the peak of every filter (value, unit row and column). */
  readonly peaks: readonly ChannelPeaks[];
  /** Per image, what the metric saw: peak points and values, and landmarks (model-input pixels). */
  readonly records: readonly InstabilityImage[];
}

async function openTrunk(
  model: Model,
  layer: string,
  dims: readonly number[],
): Promise<{ trunk: Model; shape: [number, number, number]; field: ReceptiveField }> {
  const trunk = Model.fromGraph(trunkGraph(model.graph, [layer], dims), { runtime: model.runtime, ...model.options, name: model.name });
  try {
    const prepared = await trunk.prepare(dims);
    const shape = prepared.shapes.get(layer) ?? [];
    if (shape.length !== 4)
      throw new LucernaError(
        'BAD_SHAPE',
        `Layer "${layer}" has shape [${shape.join(', ')}]; location instability needs a 4-D [N, C, H, W] layer`,
        'Pick a convolutional layer',
      );
    return { trunk, shape: shape.slice(1) as [number, number, number], field: receptiveField(prepared, layer) };
  } catch (e) {
    await trunk.dispose();
    throw e;
  }
}

/**
 * Peaks of every filter of `layer` on every image, batch by batch (the last batch is padded with
 * zeros, whose rows are dropped).
 */
async function collectPeaks(model: Model, layer: string, images: readonly StabilityImage[], options: LayerStabilityOptions) {
  const batchSize = validBatchSize(options.batchSize, 8);
  const peaks: ChannelPeaks[] = [];
  let opened: Awaited<ReturnType<typeof openTrunk>> | undefined;
  try {
    await forEachChunk(images.length, batchSize, { signal: options.signal, onProgress: options.onProgress }, async (start, count) => {
      const rows = await Promise.all(images.slice(start, start + count).map((i) => i.load()));
      const sample = (rows[0] as Tensor).shape.slice(1);
      opened ??= await openTrunk(model, layer, [batchSize, ...sample]);
      const out = await opened.trunk.run(padBatch(rows, batchSize));
      const act = (out[layer] as Tensor).data;
      const [c, h, w] = opened.shape;
      for (let r = 0; r < rows.length; r++) peaks.push(channelPeaks(act, r * c * h * w, c, h, w, options.protocol === 'icnn' ? 'column' : 'row'));
    });
  } finally {
    await opened?.trunk.dispose();
  }
  return { peaks, shape: opened?.shape as [number, number, number], field: opened?.field as ReceptiveField };
}

/**
 * Measures the location instability of every filter of `options.layer` on `images` (already
 * restricted to the images that count: those of the chosen class, or every image with an object).
 * `protocol: 'default'` places a peak at the unit's cell centre, `icnn` at its receptive-field
 * centre; see {@link locationInstability} for the rest.
 *
 * @example
 * ```ts
 * const r = await layerStability(model, images, { layer: 'relu3', inputSize: [64, 64] });
 * r.instability; // mean over non-null filters
 * ```
 */
export async function layerStability(model: Model, images: readonly StabilityImage[], options: LayerStabilityOptions): Promise<LayerStability> {
  const layer = resolveLayer(model.graph, options.layer);
  if (images.length === 0) throw new LucernaError('BAD_OPTION', 'There are no images to measure', 'Choose a class that has images');
  const [height, width] = options.inputSize;
  const { peaks, shape, field } = await collectPeaks(model, layer, images, options);
  const [c, h, w] = shape;
  const icnn = options.protocol === 'icnn';
  const records: InstabilityImage[] = peaks.map((p, i) => {
    const x = new Float64Array(c);
    const y = new Float64Array(c);
    for (let f = 0; f < c; f++) {
      const [px, py] = icnn
        ? fieldCenter(field, p.row[f] as number, p.col[f] as number)
        : unitCenter(p.row[f] as number, p.col[f] as number, h, w, width, height);
      x[f] = px;
      y[f] = py;
    }
    return { x, y, value: p.value, landmarks: (images[i] as StabilityImage).landmarks };
  });
  const result = locationInstability(records, { ...options, width, height });
  return { ...result, layer, shape, receptiveField: field, peaks, records };
}
