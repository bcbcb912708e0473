/**
 * Graph suffixes: the part of a graph that runs after one activation. Methods that change only
 * that activation (Ablation-CAM zeroes one channel of a layer at a time) run the suffix on edited
 * copies of the clean activation instead of the whole network on the input, which skips every op
 * before the layer.
 *
 * The suffix reads the layer and, in general, other tensors computed before it: a residual
 * branch that joins after the layer, for instance. Those "side" tensors become extra inputs of
 * the suffix graph; their clean values are fed back unchanged, which is exact because they do
 * not depend on the layer.
 */
import { LucernaError } from '../errors.js';
import type { Graph, ValueInfo } from './graph.js';
import { DataType, type NodeProto } from './proto.js';

/** Shapes and element types of a prepared graph's tensors. */
export interface TensorFacts {
  readonly graph: Graph;
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  readonly types: ReadonlyMap<string, string>;
}

/** A suffix graph and its inputs. */
export interface GraphSuffix {
  /** The graph: inputs `[layer, ...sides]`, outputs the requested tensors. */
  readonly graph: Graph;
  readonly layer: string;
  /** Tensors computed before the layer that the suffix also reads (float32, static shapes). */
  readonly sides: readonly string[];
}

/** The nodes that read `layer` directly or through other nodes. */
function descendantsOf(graph: Graph, layer: string): Set<NodeProto> {
  const reached = new Set<NodeProto>();
  const tensors = [layer];
  while (tensors.length) {
    for (const node of graph.consumers(tensors.pop() as string)) {
      if (reached.has(node)) continue;
      reached.add(node);
      for (const o of node.output ?? []) if (o) tensors.push(o);
    }
  }
  return reached;
}

/**
 * The nodes the outputs need, walking producers back from them.
 *
 * @example
 * ```ts
 * const needed = ancestorsOf(graph, ['logits']);
 * ```
 */
export function ancestorsOf(graph: Graph, outputs: readonly string[]): Set<NodeProto> {
  const needed = new Set<NodeProto>();
  const tensors = [...outputs];
  while (tensors.length) {
    const node = graph.producer(tensors.pop() as string);
    if (!node || needed.has(node)) continue;
    needed.add(node);
    for (const i of node.input ?? []) if (i) tensors.push(i);
  }
  return needed;
}

function staticFloatShape(facts: TensorFacts, name: string, role: string): number[] {
  const shape = facts.shapes.get(name);
  if (facts.types.get(name) !== 'float32' || !shape) {
    throw new LucernaError('UNSUPPORTED_MODEL', `The graph after the layer reads ${role} "${name}", which is not a float32 tensor of known shape`);
  }
  return [...shape];
}

/**
 * Cuts the graph after `layer`: the nodes that depend on the layer and that `outputs` need, with
 * the layer and any side tensors as inputs. Throws UNSUPPORTED_MODEL when an output does not
 * depend on the layer or a side tensor is not float32 (the caller can then run the whole graph).
 *
 * @example
 * ```ts
 * const prepared = await model.prepare([8, 3, 224, 224]);
 * const { graph, sides } = cutAfter(prepared, '/layer4/layer4.1/relu_1/Relu_output_0', ['logits']);
 * // feed { [layer]: edited activations, [side]: clean values } to a session over `graph`
 * ```
 */
export function cutAfter(facts: TensorFacts, layer: string, outputs: readonly string[]): GraphSuffix {
  const { graph } = facts;
  graph.requireTensor(layer);
  const after = descendantsOf(graph, layer);
  const needed = ancestorsOf(graph, outputs);
  for (const o of outputs) {
    const producer = graph.producer(o);
    if (!producer || !after.has(producer)) throw new LucernaError('UNSUPPORTED_MODEL', `Output "${o}" does not depend on "${layer}"`);
  }
  const nodes = graph.topoSorted().filter((n) => after.has(n) && needed.has(n));
  const produced = new Set(nodes.flatMap((n) => n.output ?? []));
  const sides: string[] = [];
  for (const n of nodes) {
    for (const i of n.input ?? []) {
      if (!i || i === layer || produced.has(i) || graph.isInitializer(i) || sides.includes(i)) continue;
      sides.push(i);
    }
  }
  const input = (name: string, role: string) => ({ name, elemType: DataType.FLOAT, dims: staticFloatShape(facts, name, role) });
  const suffix = subgraph(
    graph,
    nodes,
    [input(layer, 'the layer'), ...sides.map((s) => input(s, 'the tensor'))],
    outputs.map((o) => input(o, 'output')),
  );
  return { graph: suffix, layer, sides };
}

/**
 * A copy of `graph` with only `nodes`, the initializers they read, and the given inputs and
 * outputs.
 *
 * @example
 * ```ts
 * const tail = subgraph(graph, nodes, [{ name: 'a', elemType: DataType.FLOAT, dims: [1, 8, 4, 4] }], outputs);
 * ```
 */
export function subgraph(graph: Graph, nodes: readonly NodeProto[], inputs: readonly ValueInfo[], outputs: readonly ValueInfo[]): Graph {
  const g = graph.clone();
  g.nodes = [...nodes];
  const used = new Set(nodes.flatMap((n) => n.input ?? []));
  g.initializers = new Map([...graph.initializers].filter(([name]) => used.has(name)));
  g.inputs = [...inputs];
  g.outputs = [...outputs];
  g.invalidate();
  return g;
}
