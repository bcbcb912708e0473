/**
 * Learns every intermediate shape (and the values of static tensors) by one probe run:
 * all node outputs become graph outputs and the graph runs once on zeros.
 */
import type { Graph } from '../onnx/graph.js';
import { encodeModel } from '../onnx/proto.js';
import { sizeOf } from '../tensor/tensor.js';
import type { EngineTensor, Runtime, SessionOptions } from './runtime.js';

/** What a probe run learned. */
export interface ProbeResult {
  /** Dims of every activation tensor (graph inputs and node outputs). */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  /** ORT element type name (`float32`, `int64`…) of every activation tensor. */
  readonly types: ReadonlyMap<string, string>;
  /** The probed values of every tensor. Drop the reference once folded. */
  readonly values: ReadonlyMap<string, EngineTensor>;
}

/**
 * Runs `graph` once on zeros with every node output exposed.
 *
 * @example
 * ```ts
 * const { shapes } = await probeGraph(nodeRuntime, graph);
 * ```
 */
export async function probeGraph(runtime: Runtime, graph: Graph, options: SessionOptions = {}): Promise<ProbeResult> {
  const model = graph.toModel();
  const names = [...new Set(graph.nodes.flatMap((n) => (n.output ?? []).filter((o) => o)))];
  if (model.graph) model.graph.output = names.map((name) => ({ name }));
  const session = await runtime.createSession(encodeModel(model), { ...options, optimization: 'disabled', memoryArena: false });
  try {
    const feeds: Record<string, { data: Float32Array; shape: readonly number[] }> = {};
    for (const input of graph.inputs) {
      const dims = input.dims.map((d) => (typeof d === 'number' ? d : 1));
      feeds[input.name] = { data: new Float32Array(sizeOf(dims)), shape: dims };
    }
    const values = await session.run(feeds);
    const shapes = new Map<string, readonly number[]>();
    const types = new Map<string, string>();
    for (const input of graph.inputs) {
      shapes.set(input.name, feeds[input.name]?.shape ?? []);
      types.set(input.name, 'float32');
    }
    for (const [k, v] of Object.entries(values)) {
      shapes.set(k, v.dims);
      types.set(k, v.type);
    }
    return { shapes, types, values: new Map(Object.entries(values)) };
  } finally {
    await session.dispose();
  }
}
