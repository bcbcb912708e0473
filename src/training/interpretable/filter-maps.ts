/**
 * Per filter, its mean activation map over a class's images and its top images: what the training
 * report and RESULTS.md show of an interpretable CNN's filters beside an ordinary net's (Zhang, Wu
 * & Zhu, CVPR 2018, https://arxiv.org/abs/1710.00935, Figure 1: an interpretable filter fires on
 * one part, so its mean map has one compact peak; an ordinary filter's is spread).
 */
import type { Dataset } from '../../datasets/types.js';
import { type ChunkControl, forEachChunk, throwIfAborted } from '../../engine/batching.js';
import { prepareGraph } from '../../engine/prepare.js';
import { outputTensor, type Runtime, type SessionOptions } from '../../engine/runtime.js';
import type { Graph } from '../../onnx/graph.js';
import { DataType, encodeModel } from '../../onnx/proto.js';

/** One image where a filter fires most. */
export interface TopImage {
  /** Sample index in the data set. */
  readonly index: number;
  /** The peak value and its cell (row-major index into the n×n map). */
  readonly value: number;
  readonly cell: number;
}

/** A layer's filters on one class's images. */
export interface FilterMaps {
  readonly tensor: string;
  readonly classIndex: number;
  /** Map rows and columns. */
  readonly h: number;
  readonly w: number;
  readonly filters: number;
  /** Images of the class read. */
  readonly images: number;
  /** Mean map per filter, [filters, h·w]. */
  readonly mean: Float64Array;
  /** Per filter, its top images by peak value, best first. */
  readonly top: readonly (readonly TopImage[])[];
}

/**
 * Adds one sample's maps [C, h·w] (starting at `offset` of `act`) into the running sums and keeps
 * each filter's `k` best peaks. Pure; `sums` is [C, h·w], `top` one list per filter.
 *
 * @example
 * ```ts
 * const sums = new Float64Array(4); const top = [[]];
 * accumulateMaps(new Float32Array([0, 2, 1, 0]), 0, 1, 4, sums, top, 7, 3); // top[0] = [{ index: 7, value: 2, cell: 1 }]
 * ```
 */
export function accumulateMaps(
  act: ArrayLike<number>,
  offset: number,
  filters: number,
  cells: number,
  sums: Float64Array,
  top: TopImage[][],
  index: number,
  k: number,
): void {
  for (let c = 0; c < filters; c++) {
    let best = 0;
    let value = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < cells; i++) {
      const v = act[offset + c * cells + i] as number;
      sums[c * cells + i] = (sums[c * cells + i] as number) + v;
      if (v > value) {
        value = v;
        best = i;
      }
    }
    const list = top[c] as TopImage[];
    list.push({ index, value, cell: best });
    list.sort((a, b) => b.value - a.value || a.index - b.index);
    if (list.length > k) list.length = k;
  }
}

/**
 * Options of {@link filterMaps}: `signal` stops the reading between batches (an `ABORTED` error),
 * `onProgress` hears (images read, images to read) after each batch.
 */
export interface FilterMapsOptions extends ChunkControl {
  /** Images of the class read, at most (default 256, spread over the class). */
  readonly samples?: number;
  /** Top images kept per filter (default 4). */
  readonly top?: number;
  readonly batchSize?: number;
  readonly session?: SessionOptions;
}

/**
 * The mean map and top images of every filter of `tensor` ([B, C, h, w]) over the images of class
 * `classIndex` in `data`, read in batches through the one batching loop ({@link forEachChunk}), so
 * `o.signal` stops it between batches.
 *
 * @example
 * ```ts
 * const maps = await filterMaps(nodeRuntime, graph, 'Relu_33', data, 0);
 * maps.mean.subarray(0, maps.h * maps.w); // filter 0's mean map
 * ```
 */
export async function filterMaps(
  runtime: Runtime,
  graph: Graph,
  tensor: string,
  data: Dataset,
  classIndex: number,
  o: FilterMapsOptions = {},
): Promise<FilterMaps> {
  throwIfAborted(o.signal);
  const labels = await data.labels();
  const all = [...labels.keys()].filter((i) => labels[i] === classIndex);
  const wanted = Math.min(all.length, o.samples ?? 256);
  const chosen = Array.from({ length: wanted }, (_, i) => all[Math.floor((i * all.length) / wanted)] as number);
  const batch = Math.max(1, Math.min(o.batchSize ?? 16, chosen.length));
  const prepared = await prepareGraph(runtime, graph, [batch, ...data.sampleShape], o.session ?? {});
  const [, filters = 0, h = 1, w = 1] = prepared.shapes.get(tensor) ?? [];
  const g = prepared.graph.clone();
  g.outputs = [{ name: tensor, elemType: DataType.FLOAT, dims: [batch, filters, h, w] }];
  const sums = new Float64Array(filters * h * w);
  const top: TopImage[][] = Array.from({ length: filters }, () => []);
  const s = await runtime.createSession(encodeModel(g.toModel()), o.session ?? {});
  try {
    await forEachChunk(chosen.length, batch, o, async (first, count) => {
      // The last batch is padded with its last image, whose extra copies are not counted.
      const indices = Array.from({ length: batch }, (_, i) => chosen[first + Math.min(i, count - 1)] as number);
      const { x } = await data.read(indices, 0);
      const y = outputTensor((await s.run({ [prepared.graph.primaryInput().name]: x }, [tensor]))[tensor], tensor);
      for (let n = 0; n < count; n++) accumulateMaps(y.data, n * filters * h * w, filters, h * w, sums, top, indices[n] as number, o.top ?? 4);
    });
  } finally {
    await s.dispose();
  }
  for (let i = 0; i < sums.length; i++) sums[i] = (sums[i] as number) / Math.max(1, chosen.length);
  return { tensor, classIndex, h, w, filters, images: chosen.length, mean: sums, top };
}
