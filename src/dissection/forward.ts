/**
 * One forward pass for several layers: the part of the model that computes them, run in batches
 * of a fixed size (the last batch padded), over items that load lazily. Items that cannot be read
 * are skipped and reported once.
 */
import { throwIfAborted } from '../attribution/rows.js';
import { Model } from '../engine/model.js';
import { isLucernaError, LucernaError } from '../errors.js';
import type { Graph } from '../onnx/graph.js';
import { concatBatch, formatShape, sizeOf, type Tensor } from '../tensor/tensor.js';
import { resolveLayer, trunkGraph } from '../visualization/program.js';

/** A lazily loaded input: its name and its model input `[1, …]`. */
export interface ForwardItem {
  readonly name: string;
  image(): Promise<Tensor>;
}

/** The layers of one forward pass, resolved and checked to be 4-D. */
export interface LayerTrunk extends AsyncDisposable {
  /** Resolved tensor names, in the order asked. */
  readonly layers: readonly string[];
  /** Per layer, `[C, h, w]`. */
  readonly shapes: readonly (readonly [number, number, number])[];
  /** Milliseconds spent so far loading inputs, in the forward pass, and in `onBatch`. */
  readonly timing: { load: number; forward: number; consume: number };
  /**
   * Runs the items in batches; calls `onBatch` with the loaded items' indices and, per layer, the
   * activations `[count, C, h, w]` (rows past `count` are padding). Unreadable items are passed to
   * `onSkip` (BAD_FILE and FILE_NOT_FOUND only; other errors stop the run).
   */
  run(
    items: readonly ForwardItem[],
    onBatch: (indices: readonly number[], activations: readonly Float32Array[]) => void | Promise<void>,
    options: { skip?: ReadonlySet<number>; onSkip?: (index: number, reason: string) => void; onItem?: (done: number) => void; signal?: AbortSignal },
  ): Promise<void>;
}

/** The graph output that carries layer `name`. */
function outputName(name: string): string {
  return `${name}::lucerna_out`;
}

/**
 * Gives every output its own Identity: an output that other nodes also read (one dissected layer
 * feeding the next) would otherwise carry the output's declared shape into shape inference.
 */
function separateOutputs(graph: Graph): Graph {
  for (const o of graph.outputs) graph.nodes.push({ opType: 'Identity', name: `${o.name}::lucerna_identity`, input: [o.name], output: [outputName(o.name)] });
  graph.outputs = graph.outputs.map((o) => ({ ...o, name: outputName(o.name) }));
  graph.invalidate();
  return graph;
}

function reasonOf(e: unknown): string {
  return isLucernaError(e) ? e.message : (String((e as Error)?.message ?? e).split('\n')[0] ?? 'unknown error');
}

/**
 * Opens the trunk of `model` that computes `layers` for batches of `batchSize` inputs of
 * `sampleShape`. Errors: UNKNOWN_TENSOR (with the closest names), BAD_SHAPE (a layer that is not a
 * 4-D activation).
 *
 * @example
 * ```ts
 * await using trunk = await openLayerTrunk(model, ['/layer3/Relu', '/layer4/Relu'], [3, 224, 224], 8);
 * await trunk.run(items, (indices, [l3, l4]) => { ... }, {});
 * ```
 */
export async function openLayerTrunk(model: Model, layers: readonly string[], sampleShape: readonly number[], batchSize: number): Promise<LayerTrunk> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new LucernaError('BAD_OPTION', `The batch size must be a positive integer, got ${batchSize}`);
  if (layers.length === 0) throw new LucernaError('BAD_OPTION', 'Name at least one layer', 'Pass --layer <tensor>');
  const resolved = [...new Set(layers.map((l) => resolveLayer(model.graph, l)))];
  const dims = [batchSize, ...sampleShape];
  const trunk = Model.fromGraph(separateOutputs(trunkGraph(model.graph, resolved, dims)), { runtime: model.runtime, ...model.options, name: model.name });
  try {
    const prepared = await trunk.prepare(dims);
    const shapes = resolved.map((name) => {
      const shape = prepared.shapes.get(name) ?? prepared.shapes.get(outputName(name)) ?? [];
      if (shape.length !== 4)
        throw new LucernaError(
          'BAD_SHAPE',
          `Layer "${name}" has shape ${formatShape(shape)}; dissection needs a 4-D [N, C, H, W] activation`,
          'Pick a convolutional layer',
        );
      return shape.slice(1) as unknown as [number, number, number];
    });
    return makeTrunk(trunk, resolved, shapes, sampleShape, batchSize);
  } catch (e) {
    await trunk.dispose();
    throw e;
  }
}

function makeTrunk(trunk: Model, layers: string[], shapes: [number, number, number][], sampleShape: readonly number[], batchSize: number): LayerTrunk {
  const per = sizeOf(sampleShape);
  const timing = { load: 0, forward: 0, consume: 0 };
  return {
    layers,
    shapes,
    timing,
    async run(items, onBatch, options) {
      let batch: { index: number; tensor: Tensor }[] = [];
      let done = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        const padding = batchSize - batch.length;
        const parts = batch.map((b) => b.tensor);
        if (padding > 0) parts.push({ data: new Float32Array(per * padding), shape: [padding, ...sampleShape] });
        const t0 = performance.now();
        const out = await trunk.run(concatBatch(parts));
        const t1 = performance.now();
        timing.forward += t1 - t0;
        const indices = batch.map((b) => b.index);
        batch = [];
        await onBatch(
          indices,
          layers.map((l) => (out[outputName(l)] as Tensor).data),
        );
        timing.consume += performance.now() - t1;
      };
      // Each batch's images are decoded concurrently.
      for (let i = 0; i < items.length; ) {
        throwIfAborted(options.signal);
        const chunk: number[] = [];
        for (; chunk.length < batchSize && i < items.length; i++) {
          if (options.skip?.has(i)) options.onItem?.(++done);
          else chunk.push(i);
        }
        const t0 = performance.now();
        const loaded = await Promise.allSettled(chunk.map((j) => (items[j] as ForwardItem).image()));
        timing.load += performance.now() - t0;
        loaded.forEach((r, k) => {
          const j = chunk[k] as number;
          if (r.status === 'rejected') {
            if (!isLucernaError(r.reason, 'BAD_FILE') && !isLucernaError(r.reason, 'FILE_NOT_FOUND')) throw r.reason;
            options.onSkip?.(j, reasonOf(r.reason));
            return;
          }
          if (sizeOf(r.value.shape.slice(1)) !== per)
            throw new LucernaError('BAD_SHAPE', `${items[j]?.name} gives an input of shape ${formatShape(r.value.shape)}`);
          batch.push({ index: j, tensor: r.value });
        });
        await flush();
        done += chunk.length;
        options.onItem?.(done);
      }
    },
    [Symbol.asyncDispose]: () => trunk.dispose(),
  };
}
