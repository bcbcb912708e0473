/**
 * Turns `Constant` nodes into initializers, so later passes see one kind of constant.
 */
import { attrFloat, attrFloats, attrInt, attrInts, attrTensor, hasAttr } from './attributes.js';
import type { Graph } from './graph.js';
import type { NodeProto, TensorProto } from './proto.js';
import { floatTensor, int64Tensor } from './tensors.js';

function constantValue(node: NodeProto, name: string): TensorProto | undefined {
  const t = attrTensor(node, 'value');
  if (t) return { ...t, name };
  if (hasAttr(node, 'value_float')) return floatTensor(name, [attrFloat(node, 'value_float', 0)], []);
  if (hasAttr(node, 'value_floats')) {
    const v = attrFloats(node, 'value_floats', []);
    return floatTensor(name, v, [v.length]);
  }
  if (hasAttr(node, 'value_int')) return int64Tensor(name, [attrInt(node, 'value_int', 0)], []);
  if (hasAttr(node, 'value_ints')) return int64Tensor(name, attrInts(node, 'value_ints', []));
  return undefined;
}

/**
 * Replaces every `Constant` node by an initializer of the same name. Returns the graph for chaining.
 *
 * @example
 * ```ts
 * constantsToInitializers(graph);
 * ```
 */
export function constantsToInitializers(graph: Graph): Graph {
  const kept: NodeProto[] = [];
  for (const n of graph.nodes) {
    const out = n.output?.[0];
    const value = n.opType === 'Constant' && (!n.domain || n.domain === 'ai.onnx') && out ? constantValue(n, out) : undefined;
    if (value && out) graph.initializers.set(out, value);
    else kept.push(n);
  }
  graph.nodes = kept;
  graph.invalidate();
  return graph;
}
