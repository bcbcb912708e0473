/**
 * The training step runs its wide convolutions with few output positions (ResNet's last stage at
 * small inputs) as one Gemm over the batch instead of ORT's Conv, which computes one skinny
 * product per image there (about 2× slower at 512 channels and 2×2 positions; BENCHMARKS.md,
 * training section). The swap happens after differentiation, so the backward graph is the Conv
 * rule's; the Conv's output keeps its name, and the checkpoint keeps the Conv.
 */

import { forwardByGemm } from '../compiler/rules/conv.js';
import { gemmConvForward } from '../compiler/rules/conv-gemm.js';
import { windowGeometry } from '../compiler/rules/conv-geometry.js';
import { GraphBuilder } from '../onnx/builder.js';
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/proto.js';

/**
 * Replaces every Conv of `graph` that {@link forwardByGemm} picks (static shapes from `shape`)
 * with its Gemm form; returns how many were replaced.
 *
 * @example
 * ```ts
 * lowerWideConvs(stepGraph, (t) => prepared.shapes.get(t) ?? stepGraph.initializerDims(t), forwardNodeNames);
 * ```
 */
export function lowerWideConvs(graph: Graph, shape: (tensor: string) => readonly number[], only: ReadonlySet<string>): number {
  const b = new GraphBuilder(graph, 'gemm');
  const replaced = new Set<NodeProto>();
  for (const node of graph.nodes) {
    if (node.opType !== 'Conv' || !only.has(node.name ?? '')) continue;
    const [x = '', w = '', bias] = node.input ?? [];
    const xShape = shape(x);
    const wShape = shape(w);
    const yShape = shape(node.output?.[0] ?? '');
    if (xShape.length < 3 || wShape.length !== xShape.length || yShape.length !== xShape.length) continue;
    const g = windowGeometry(node, xShape.slice(2), wShape.slice(2));
    const outSpatial = yShape.slice(2);
    if (
      !forwardByGemm(
        g,
        [xShape[1] as number, wShape[0] as number],
        outSpatial.reduce((p, d) => p * d, 1),
      )
    )
      continue;
    gemmConvForward(b, { x: { name: x, shape: xShape }, w, wShape, ...(bias ? { bias } : {}), g, outSpatial, output: node.output?.[0] as string });
    replaced.add(node);
  }
  if (replaced.size > 0) {
    graph.nodes = graph.nodes.filter((n) => !replaced.has(n));
    graph.invalidate();
  }
  return replaced.size;
}
