/**
 * Arithmetic cost of a prepared graph: multiply-adds of its convolutions and matrix products, the
 * ops that dominate a CNN's time. Used to decide whether skipping work pays (incremental
 * inference) and to relate measured speed to the machine's arithmetic ceiling (the benchmark).
 */
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/proto.js';
import { sizeOf } from '../tensor/tensor.js';
import type { PreparedGraph } from './prepare.js';

/**
 * Multiply-adds of a Conv node producing `outElements` values (input channels per group × kernel
 * area each); 0 for other ops.
 *
 * @example
 * ```ts
 * convMultiplyAdds(convNode, graph, 64 * 56 * 56);
 * ```
 */
export function convMultiplyAdds(node: NodeProto, graph: Graph, outElements: number): number {
  if (node.opType !== 'Conv') return 0;
  const w = graph.initializerDims(node.input?.[1] as string);
  return outElements * sizeOf(w.slice(1));
}

/**
 * Multiply-adds per sample of `nodes` (default: every node) of a prepared graph: Conv, and Gemm or
 * MatMul (rows × columns × inner size). Other ops are memory-bound and small in CNNs.
 *
 * @example
 * ```ts
 * multiplyAdds(await model.prepare([1, 3, 224, 224])); // ≈ 1.8e9 for ResNet-18
 * ```
 */
export function multiplyAdds(prepared: PreparedGraph, nodes: readonly NodeProto[] = prepared.graph.nodes): number {
  const batch = prepared.inputShape[0] as number;
  let total = 0;
  for (const n of nodes) {
    const out = prepared.shapes.get(n.output?.[0] ?? '');
    if (!out) continue;
    if (n.opType === 'Conv' && prepared.graph.isInitializer(n.input?.[1] ?? '')) total += convMultiplyAdds(n, prepared.graph, sizeOf(out) / batch);
    if (n.opType === 'Gemm' || n.opType === 'MatMul') total += (sizeOf(out) / batch) * (prepared.shapes.get(n.input?.[0] ?? '')?.at(-1) ?? 0);
  }
  return total;
}
