/**
 * One forward pass for several layers: the part of the model that computes them, run in batches
 * of a fixed size (the last batch padded), over items that load lazily. Items that cannot be read
 * are skipped and reported once.
 */
import { throwIfAborted } from '../attribution/rows.js';
import { validBatchSize } from '../engine/batching.js';
import { Model } from '../engine/model.js';
import { outputTensor, type RuntimeSession } from '../engine/runtime.js';
import { isLucernaError, LucernaError } from '../errors.js';
import type { Graph } from '../onnx/graph.js';
import { encodeModel } from '../onnx/proto.js';
import { chunkSlices } from '../tensor/chunks.js';
import { formatShape, sizeOf, type Tensor } from '../tensor/tensor.js';
import { resolveLayer, trunkGraph } from '../visualization/program.js';
import { openTrunkSession } from './trunk-session.js';

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
  validBatchSize(batchSize);
  if (layers.length === 0) throw new LucernaError('BAD_OPTION', 'Name at least one layer', 'Pass --layer <tensor>');
  const resolved = [...new Set(layers.map((l) => resolveLayer(model.graph, l)))];
  const dims = [batchSize, ...sampleShape];
  const direct = await directTrunk(model, resolved, dims);
  if (direct) return makeTrunk(direct.runBatch, direct.dispose, resolved, checkedShapes(resolved, direct.shapes), sampleShape, batchSize);
  const trunk = Model.fromGraph(separateOutputs(trunkGraph(model.graph, resolved, dims)), { runtime: model.runtime, ...model.options, name: model.name });
  try {
    const prepared = await trunk.prepare(dims);
    const shapes = checkedShapes(resolved, new Map(resolved.map((name) => [name, prepared.shapes.get(name) ?? prepared.shapes.get(outputName(name)) ?? []])));
    const runBatch = async (x: Tensor) => {
      const out = await trunk.run(x);
      return resolved.map((l) => (out[outputName(l)] as Tensor).data);
    };
    return makeTrunk(runBatch, () => trunk.dispose(), resolved, shapes, sampleShape, batchSize);
  } catch (e) {
    await trunk.dispose();
    throw e;
  }
}

/** Per layer `[C, h, w]`, or BAD_SHAPE for a layer that is not a 4-D activation. */
function checkedShapes(layers: readonly string[], shapes: ReadonlyMap<string, readonly number[]>): [number, number, number][] {
  return layers.map((name) => {
    const shape = shapes.get(name) ?? [];
    if (shape.length !== 4)
      throw new LucernaError(
        'BAD_SHAPE',
        `Layer "${name}" has shape ${formatShape(shape)}; dissection needs a 4-D [N, C, H, W] activation`,
        'Pick a convolutional layer',
      );
    return shape.slice(1) as unknown as [number, number, number];
  });
}

type BatchRunner = (x: Tensor) => Promise<Float32Array[]>;

/**
 * The layer shapes ONNX Runtime inferred when it loaded the trunk, when every dim is a number: the
 * graph's input is fixed, so these are the shapes a run gives, without running a batch.
 */
function inferredShapes(session: RuntimeSession, layers: readonly string[]): Map<string, number[]> | undefined {
  const shapes = new Map<string, number[]>();
  for (const l of layers) {
    const s = session.outputShapes?.get(outputName(l));
    if (!s || s.length === 0 || !s.every((d): d is number => typeof d === 'number' && d > 0)) return undefined;
    shapes.set(l, [...s]);
  }
  return shapes;
}

/** The layer shapes from one run on zeros. */
async function probedShapes(session: RuntimeSession, input: string, layers: readonly string[], dims: readonly number[]): Promise<Map<string, number[]>> {
  const out = await session.run({ [input]: { data: new Float32Array(sizeOf(dims)), shape: dims } });
  return new Map(layers.map((l) => [l, [...(out[outputName(l)]?.dims ?? [])]] as const));
}

/**
 * The trunk as one ONNX Runtime session built straight from the model's nodes at the batch shape,
 * without the engine's preparation (two probe sessions that expose every tensor, constant folding,
 * opset upgrade): for resnet18 that preparation cost more CPU than the forward pass of 120 images.
 * The layer shapes come from ONNX Runtime's shape inference, else from one run on zeros. The
 * session is kept in the runtime's compile store (`trunk-session.ts`): a later run opens the
 * optimised graph with the stored shapes. A graph ORT cannot run that way (a Reshape that fixes
 * the batch to the exported one) gives undefined, and the caller takes the prepared path.
 */
async function directTrunk(
  model: Model,
  layers: readonly string[],
  dims: readonly number[],
): Promise<{ runBatch: BatchRunner; dispose: () => Promise<void>; shapes: ReadonlyMap<string, readonly number[]> } | undefined> {
  const input = model.input.name;
  const probe = async (session: RuntimeSession) => {
    const shapes = inferredShapes(session, layers) ?? (await probedShapes(session, input, layers, dims));
    if ([...shapes.values()].some((s) => s[0] !== dims[0])) throw new Error('batch not carried through');
    return shapes;
  };
  const build = () => encodeModel(separateOutputs(trunkGraph(model.graph, layers, dims)).toModel());
  const options = { ...model.options, spinning: model.options.spinning ?? false };
  const opened = await openTrunkSession(model, layers, dims, options, build, probe).catch(() => undefined);
  if (!opened) return undefined;
  const { session, shapes, stored } = opened;
  const runBatch: BatchRunner = async (x) => {
    const out = await session.run({ [input]: x });
    return layers.map((l) => outputTensor(out[outputName(l)], l).data);
  };
  const dispose = async () => {
    await stored;
    await session.dispose();
  };
  return { runBatch, dispose, shapes };
}

function makeTrunk(
  runBatch: BatchRunner,
  dispose: () => Promise<void>,
  layers: string[],
  shapes: [number, number, number][],
  sampleShape: readonly number[],
  batchSize: number,
): LayerTrunk {
  const per = sizeOf(sampleShape);
  const timing = { load: 0, forward: 0, consume: 0 };
  // One input buffer for every batch (the engine reads it only during the run): no 4.8 MB
  // allocation per batch of 8 at 224 px, so fewer full garbage collections.
  let input: Float32Array | undefined;
  const batchInput = (parts: readonly Tensor[]): Tensor => {
    input ??= new Float32Array(per * batchSize);
    let at = 0;
    for (const p of parts) {
      input.set(p.data, at);
      at += p.data.length;
    }
    input.fill(0, at);
    return { data: input, shape: [batchSize, ...sampleShape] };
  };
  return {
    layers,
    shapes,
    timing,
    async run(items, onBatch, options) {
      let batch: { index: number; tensor: Tensor }[] = [];
      let done = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        const t0 = performance.now();
        const out = await runBatch(batchInput(batch.map((b) => b.tensor)));
        const t1 = performance.now();
        timing.forward += t1 - t0;
        const indices = batch.map((b) => b.index);
        batch = [];
        await onBatch(indices, out);
        timing.consume += performance.now() - t1;
      };
      // Each batch's images are decoded concurrently, and the next batch's while this one runs
      // (sharp decodes on libuv's threads; ONNX Runtime runs on the main thread and its pool).
      const chunks = chunksOf(items.length, batchSize, options.skip);
      const load = (ids: readonly number[]) => Promise.allSettled(ids.map((j) => (items[j] as ForwardItem).image()));
      let pending = chunks[0] ? load(chunks[0].ids) : undefined;
      for (const [k, chunk] of chunks.entries()) {
        throwIfAborted(options.signal);
        if (chunk.skipped > 0) options.onItem?.((done += chunk.skipped));
        const t0 = performance.now();
        const loaded = await (pending as ReturnType<typeof load>);
        const next = chunks[k + 1];
        pending = next ? load(next.ids) : undefined;
        timing.load += performance.now() - t0;
        loaded.forEach((r, i) => {
          const j = chunk.ids[i] as number;
          if (r.status === 'rejected') {
            if (!isLucernaError(r.reason, 'BAD_FILE') && !isLucernaError(r.reason, 'FILE_NOT_FOUND')) throw r.reason;
            options.onSkip?.(j, reasonOf(r.reason));
            return;
          }
          if (sizeOf(r.value.shape.slice(1)) !== per)
            throw new LucernaError('BAD_SHAPE', `${items[j]?.name} gives an input of shape ${formatShape(r.value.shape)}`);
          batch.push({ index: j, tensor: r.value });
        });
        // A Ctrl-C that came while the images decoded must not cost this batch's forward pass.
        throwIfAborted(options.signal);
        await flush();
        done += chunk.ids.length;
        if (chunk.ids.length > 0) options.onItem?.(done);
      }
    },
    [Symbol.asyncDispose]: dispose,
  };
}

/**
 * Splits item indices `0…n-1` into batches of `size`, leaving out `skip`; each batch counts the
 * skipped items met since the previous one (a last batch may hold only skipped ones).
 *
 * @example
 * ```ts
 * chunksOf(5, 2, new Set([1])); // [{ ids: [0, 2], skipped: 1 }, { ids: [3, 4], skipped: 0 }]
 * ```
 */
export function chunksOf(n: number, size: number, skip?: ReadonlySet<number>): { ids: number[]; skipped: number }[] {
  const kept = Array.from({ length: n }, (_, i) => i).filter((i) => !skip?.has(i));
  const chunks: { ids: number[]; skipped: number }[] = [];
  // Items before `from` are in earlier batches: a full batch ends at its last id, the last one at n.
  let from = 0;
  for (const ids of chunkSlices(kept, size)) {
    const to = ids.length < size ? n : (ids.at(-1) as number) + 1;
    chunks.push({ ids, skipped: to - from - ids.length });
    from = to;
  }
  if (from < n) chunks.push({ ids: [], skipped: n - from });
  return chunks;
}
