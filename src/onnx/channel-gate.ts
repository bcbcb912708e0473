/**
 * A graph rewrite that puts a per-sample channel gate on one activation: the layer's output is
 * multiplied by a second graph input of shape [B, C, 1, 1] before anything reads it. A gate of all
 * ones computes the original model; a zero at (b, c) ablates channel c for sample b. Ablation-CAM
 * scores one ablated channel per batch row with it, in a single run per chunk.
 */
import { LucernaError } from '../errors.js';
import { GraphBuilder } from './builder.js';
import type { Graph } from './graph.js';
import { DataType, type NodeProto } from './proto.js';
import { formatShapeList } from './shape-format.js';

/** The rewritten graph and the names it introduced. */
export interface ChannelGate {
  /** The rewritten graph (a copy; the source graph is untouched). */
  readonly graph: Graph;
  /** The new graph input: the gate, [B, C, 1, 1]. */
  readonly gate: string;
  /** The gated activation that every former reader of the layer now reads. */
  readonly gated: string;
}

/** Options of {@link addChannelGate}. */
export interface ChannelGateOptions {
  /** Name of the gate input (default `lucerna/channel_gate`, made unique). */
  readonly gateName?: string;
  /** Also output the ungated activation (under the layer's own name). Default false. */
  readonly exposeLayer?: boolean;
}

function checkLayer(graph: Graph, layer: string, shape: readonly number[]): void {
  if (graph.isInitializer(layer)) {
    throw new LucernaError('BAD_OPTION', `"${layer}" is a weight of the model, not an activation`, 'Gate a 4-D activation tensor');
  }
  graph.requireTensor(layer);
  if (shape.length !== 4 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new LucernaError('BAD_SHAPE', `A channel gate needs the static 4-D shape [B, C, h, w] of "${layer}", got ${formatShapeList(shape)}`);
  }
}

/**
 * Rewrites a graph with static shapes (a prepared graph) so that `layer` (shape [B, C, h, w]) is
 * multiplied by a gate input [B, C, 1, 1]; every node that read `layer` reads the gated tensor. A
 * graph output named `layer` stays ungated.
 *
 * @example
 * ```ts
 * const { graph, gate } = addChannelGate(prepared.graph, '/relu2/Relu_output_0', [16, 16, 16, 16]);
 * // run with { input: x, [gate]: ones except gate[b, c] = 0 } to ablate channel c in row b
 * ```
 */
export function addChannelGate(source: Graph, layer: string, shape: readonly number[], options: ChannelGateOptions = {}): ChannelGate {
  checkLayer(source, layer, shape);
  const graph = source.clone();
  const readers = new Set(graph.consumers(layer));
  const b = new GraphBuilder(graph);
  const gate = b.unique(options.gateName ?? 'lucerna/channel_gate');
  const gatedName = b.unique(`${layer}/gated`);
  // Rewire the readers first, so the new Mul (which reads the layer) is left alone.
  graph.nodes = graph.nodes.map((n) => (readers.has(n) ? { ...n, input: (n.input ?? []).map((i) => (i === layer ? gatedName : i)) } : n));
  b.op('Mul', [layer, gate], {}, { outputs: [gatedName], name: b.unique('lucerna/channel_gate_mul') });
  // Keep the node list topologically sorted: the Mul goes right after the layer's producer.
  const mul = graph.nodes.pop() as NodeProto;
  const producer = source.producer(layer);
  graph.nodes.splice(producer ? graph.nodes.indexOf(producer) + 1 : 0, 0, mul);
  const [batch, channels] = shape as [number, number];
  graph.inputs = [...graph.inputs, { name: gate, elemType: DataType.FLOAT, dims: [batch, channels, 1, 1] }];
  if (options.exposeLayer && !graph.outputs.some((o) => o.name === layer)) {
    graph.outputs = [...graph.outputs, { name: layer, elemType: DataType.FLOAT, dims: [...shape] }];
  }
  graph.invalidate();
  return { graph, gate, gated: gatedName };
}
