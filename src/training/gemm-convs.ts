/**
 * The training step runs its wide convolutions with few output positions (ResNet's last stage at
 * small inputs) as one Gemm over the batch instead of ORT's Conv, which computes one skinny
 * product per image there (about 2× slower at 512 channels and 2×2 positions; BENCHMARKS.md,
 * training section). The swap happens after differentiation, so the backward graph is the Conv
 * rule's; the Conv's output keeps its name, and the checkpoint keeps the Conv. When the rule's
 * weight gradient is its channels-last Gemm (gemmWeightGrad), it is rebuilt on the forward pass's
 * im2col rows, which are already in the weight's order: no second im2col and no transpose of dW.
 */

import { forwardByGemm } from '../compiler/rules/conv.js';
import { gemmConvForward, weightGradFromColumns } from '../compiler/rules/conv-gemm.js';
import { windowGeometry } from '../compiler/rules/conv-geometry.js';
import { attrInt, attrInts } from '../onnx/attributes.js';
import { GraphBuilder } from '../onnx/builder.js';
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/proto.js';

/**
 * Output positions per image at or below which the training step runs a wide dense Conv's forward
 * pass and input gradient as Gemms over the batch (the compiler's default for gradient graphs is
 * GEMM_INPUT_GRAD_POSITIONS = 4). At 16 it takes in ResNet-18's layer3 at 64 px (4×4), where ORT's
 * Conv runs one small product per image (more filters than positions): in the compiled ResNet-18
 * step (batch 32, 3 steps per run, one process alternating the two sessions, 10–12 rounds, loaded
 * machine) 8–12 % less CPU and 6–13 % less wall per step with 2 threads, unchanged with 1 thread;
 * 64 (layer2 too) gained nothing more (1 %, within noise). BENCHMARKS.md "Training step" has the step's reading.
 */
export const TRAINING_GEMM_POSITIONS = 16;

/**
 * Replaces every Conv of `graph` that {@link forwardByGemm} picks at `positions` output positions
 * or fewer (static shapes from `shape`) with its Gemm form; returns how many were replaced.
 *
 * @example
 * ```ts
 * lowerWideConvs(stepGraph, (t) => prepared.shapes.get(t) ?? stepGraph.initializerDims(t), forwardNodeNames);
 * ```
 */
export function lowerWideConvs(
  graph: Graph,
  shape: (tensor: string) => readonly number[],
  only: ReadonlySet<string>,
  gradients: ReadonlyMap<string, string> = new Map(),
  positions = TRAINING_GEMM_POSITIONS,
): number {
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
        positions,
      )
    )
      continue;
    const { rows } = gemmConvForward(b, {
      x: { name: x, shape: xShape },
      w,
      wShape,
      ...(bias ? { bias } : {}),
      g,
      outSpatial,
      output: node.output?.[0] as string,
    });
    replaced.add(node);
    const grad = gradients.get(w);
    if (grad) reuseRowsForWeightGrad(graph, b, grad, rows, wShape, yShape);
  }
  if (replaced.size > 0) {
    graph.nodes = graph.nodes.filter((n) => !replaced.has(n));
    pruneDeadNodes(graph);
  }
  return replaced.size;
}

/**
 * If `grad` is Identity(Transpose(Reshape(Gemm(Reshape(Transpose(dY)), channels-last im2col, transA)))) — the
 * Conv rule's gemmWeightGrad — points the Identity at Gemm(dY as columns, `rows`ᵀ) reshaped to W
 * (`rows` are the forward pass's im2col columns [C·taps, P·N], in the weight's own order).
 */
function reuseRowsForWeightGrad(graph: Graph, b: GraphBuilder, grad: string, rows: string, wShape: readonly number[], dyShape: readonly number[]): void {
  const from = (t: string | undefined, op: string) => {
    const n = t === undefined ? undefined : graph.producer(t);
    return n?.opType === op ? n : undefined;
  };
  const identity = from(grad, 'Identity');
  const transpose = from(identity?.input?.[0], 'Transpose');
  const gemm = from(from(transpose?.input?.[0], 'Reshape')?.input?.[0], 'Gemm');
  const r = wShape.length - 2;
  const expected = [0, r + 1, ...[...Array(r).keys()].map((i) => i + 1)];
  if (!identity || !transpose || !gemm || attrInts(transpose, 'perm', []).join() !== expected.join()) return;
  if (attrInt(gemm, 'transA', 0) !== 1 || attrInt(gemm, 'transB', 0) !== 0 || (gemm.input ?? []).length !== 2) return;
  const dy = from(from(gemm.input?.[0], 'Reshape')?.input?.[0], 'Transpose')?.input?.[0];
  if (dy === undefined) return;
  const dW = weightGradFromColumns(b, { name: dy, shape: dyShape }, rows, wShape);
  graph.nodes = graph.nodes.map((n) => (n === identity ? { ...n, input: [dW] } : n));
  graph.invalidate();
}

/**
 * Removes nodes none of whose outputs is read by a node or the graph (until none is left), then unread initializers.
 *
 * @example `pruneDeadNodes(stepGraph); // after a rewrite left its old nodes unread`
 */
export function pruneDeadNodes(graph: Graph): void {
  let read = new Set<string>();
  for (;;) {
    read = new Set<string>(graph.outputs.map((o) => o.name));
    for (const n of graph.nodes) for (const i of n.input ?? []) read.add(i);
    const live = graph.nodes.filter((n) => (n.output ?? []).some((o) => read.has(o)));
    if (live.length === graph.nodes.length) break;
    graph.nodes = live;
  }
  for (const name of [...graph.initializers.keys()]) if (!read.has(name)) graph.initializers.delete(name);
  graph.invalidate();
}
