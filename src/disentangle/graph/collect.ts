/**
 * Streams images through a model and keeps, per image, the peaks of every filter of the chosen
 * conv layers: the explanatory graph's input (Zhang et al. 2018, https://arxiv.org/abs/1708.01785).
 * Only peaks are kept (a few numbers per filter), never an activation map or an image.
 *
 * Isomorphic: images arrive as lazily loaded tensors; reading files is the caller's job.
 */
import { forEachChunk, validBatchSize } from '../../engine/batching.js';
import type { Model } from '../../engine/model.js';
import { Model as ModelClass } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import type { Graph } from '../../onnx/graph.js';
import { padBatch, type Tensor } from '../../tensor/tensor.js';
import { resolveLayer, trunkGraph } from '../../visualization/program.js';
import { mapPeaks } from './peaks.js';
import type { ActivationMap, GraphLayer, ImagePeaks } from './types.js';

/** Ops a conv output may pass through and still count as one (activations, normalisation, residual sums). */
const PASS_THROUGH = new Set(['Relu', 'LeakyRelu', 'PRelu', 'Clip', 'BatchNormalization', 'Identity', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Add', 'Mul']);

/**
 * The tensor `layer` names, if it is a conv output (a Conv, possibly followed by activations,
 * batch norm or a residual Add); otherwise a one-line error.
 *
 * @example
 * ```ts
 * convLayer(model.graph, 'relu3'); // 'relu3'
 * ```
 */
export function convLayer(graph: Graph, layer: string): string {
  const tensor = resolveLayer(graph, layer);
  let at: string | undefined = tensor;
  for (let hops = 0; at !== undefined && hops < 16; hops++) {
    const node = graph.producer(at);
    if (!node) break;
    if (node.opType === 'Conv') return tensor;
    if (!PASS_THROUGH.has(node.opType ?? '')) {
      throw new LucernaError(
        'BAD_OPTION',
        `Layer "${layer}" is not a conv layer output (it comes from ${node.opType})`,
        'Pick the output of a Conv or of its activation',
      );
    }
    at = node.input?.[0];
  }
  throw new LucernaError('BAD_OPTION', `Layer "${layer}" is not a conv layer output`, 'Pick the output of a Conv or of its activation');
}

/** Options of {@link collectGraphPeaks}. */
export interface CollectOptions {
  /** Layer names, lower → top. */
  readonly layers: readonly string[];
  /** Model input `[height, width]`: the pixel frame of the peaks. */
  readonly inputSize: readonly [number, number];
  readonly peaksPerFilter: number;
  /** Images per engine call (default 8). */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Called with each image's full activation maps (lower → top) before they are dropped, for work
   * that needs more than the peaks (the template baseline of part localisation). Copy what you keep.
   */
  readonly onMaps?: (image: number, maps: readonly ActivationMap[]) => void;
}

/**
 * Peaks of every filter of every layer on every image, batch by batch (the last batch is padded
 * with zeros, whose rows are dropped).
 *
 * @example
 * ```ts
 * const { peaks, layers } = await collectGraphPeaks(model, images, { layers: ['relu3', 'relu4'], inputSize: [64, 64], peaksPerFilter: 5 });
 * ```
 */
export async function collectGraphPeaks(
  model: Model,
  images: readonly { load(): Promise<Tensor> }[],
  options: CollectOptions,
): Promise<{ peaks: ImagePeaks[]; layers: GraphLayer[] }> {
  const batchSize = validBatchSize(options.batchSize, 8);
  const names = options.layers.map((l) => convLayer(model.graph, l));
  const peaks: ImagePeaks[] = [];
  let layers: GraphLayer[] = [];
  let trunk: Model | undefined;
  try {
    await forEachChunk(images.length, batchSize, { signal: options.signal, onProgress: options.onProgress }, async (start, count) => {
      const rows = await Promise.all(images.slice(start, start + count).map((i) => i.load()));
      const sample = (rows[0] as Tensor).shape.slice(1);
      const dims = [batchSize, ...sample];
      if (!trunk) {
        trunk = ModelClass.fromGraph(trunkGraph(model.graph, names, dims, (await model.prepare(dims)).shapes), {
          runtime: model.runtime,
          ...model.options,
          name: model.name,
        });
        const prepared = await trunk.prepare(dims);
        layers = names.map((name, l) => {
          const shape = prepared.shapes.get(name) ?? [];
          if (shape.length !== 4)
            throw new LucernaError(
              'BAD_OPTION',
              `Layer "${options.layers[l]}" has shape [${shape.join(', ')}], not a conv layer output`,
              'Pick a 4-D conv layer',
            );
          return { name, channels: shape[1] as number, height: shape[2] as number, width: shape[3] as number };
        });
      }
      const out = await trunk.run(padBatch(rows, batchSize));
      for (let r = 0; r < rows.length; r++) {
        const maps = layers.map((l) => {
          const plane = l.channels * l.height * l.width;
          const data = (out[l.name] as Tensor).data.subarray(r * plane, (r + 1) * plane);
          return { data, channels: l.channels, height: l.height, width: l.width };
        });
        options.onMaps?.(start + r, maps);
        peaks.push(maps.map((m) => mapPeaks(m, options.inputSize, options.peaksPerFilter)));
      }
    });
  } finally {
    await trunk?.dispose();
  }
  return { peaks, layers };
}
