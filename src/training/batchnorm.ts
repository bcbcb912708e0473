/**
 * BatchNormalization in training mode (Ioffe & Szegedy 2015, https://arxiv.org/abs/1502.03167): each
 * node keeps ONNX's inference-form kernel (one pass), fed with the batch statistics computed in the
 * graph, μ = ReduceMean(X) and σ² = ReduceSum((X − μ)²)/n (see `batchStatistics` in the
 * compiler, whose BatchNormalization rule recognises this form and differentiates through μ and σ²
 * in one fused formula). The running statistics update as PyTorch's do:
 * running_mean ← m·running_mean + (1 − m)·μ, running_var ← m·running_var + (1 − m)·σ²·n/(n − 1)
 * (ONNX momentum m, 0.9 by default; n = N·H·W; the normalisation itself uses the biased variance).
 * Neither ONNX's own `training_mode` kernel nor ReduceSumSquare is used: with either, the running
 * variance (or, through Adam, a conv weight) drifted 1.4e-4–3.5e-4 (relative) from PyTorch's within
 * 8 steps of the parity runs; Mul then ReduceSum stays within 1e-6.
 */
import { attrFloat } from '../onnx/attributes.js';
import type { GraphBuilder } from '../onnx/builder.js';
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/proto.js';

/** One running statistic and the tensor that holds its value after the step. */
export interface RunningUpdate {
  readonly name: string;
  readonly next: string;
}

function reshape(b: GraphBuilder, x: string, shape: readonly number[]): string {
  return b.op('Reshape', [x, b.constInt64([...shape], [shape.length])]);
}

/** Feeds one node the batch statistics of its input (a copy replaces it); returns its running-statistic updates. */
function toBatchStatistics(graph: Graph, b: GraphBuilder, node: NodeProto, xShape: readonly number[]): RunningUpdate[] {
  const [x = '', , , mean = '', variance = ''] = node.input ?? [];
  const channels = xShape[1] ?? 1;
  const axes = [0, ...xShape.slice(2).map((_, i) => i + 2)];
  const count = axes.reduce((p, a) => p * (xShape[a] as number), 1);
  const momentum = attrFloat(node, 'momentum', 0.9);
  const batchMean = b.op('ReduceMean', [x, b.constInt64(axes)], { keepdims: 1 });
  const centered = b.op('Sub', [x, batchMean]);
  const batchVar = b.op('Mul', [b.op('ReduceSum', [b.op('Mul', [centered, centered]), b.constInt64(axes)], { keepdims: 1 }), b.scalar(1 / count)]);
  const [meanC, varC] = [reshape(b, batchMean, [channels]), reshape(b, batchVar, [channels])];
  // a copy, not an edit: a cloned graph shares its node objects with the graph it came from
  const fed: NodeProto = { ...node, input: [...(node.input ?? []).slice(0, 3), meanC, varC] };
  graph.nodes = graph.nodes.map((n) => (n === node ? fed : n));
  const blend = (running: string, batch: string, factor: number) =>
    b.op('Add', [b.op('Mul', [running, b.scalar(momentum)]), b.op('Mul', [batch, b.scalar((1 - momentum) * factor)])]);
  return [
    { name: mean, next: blend(mean, meanC, 1) },
    { name: variance, next: blend(variance, varC, count > 1 ? count / (count - 1) : 1) },
  ];
}

/**
 * Feeds every BatchNormalization node of `graph` its batch statistics (replacing the nodes in place) and
 * returns the running statistics with the tensors of their updated values.
 *
 * @example
 * ```ts
 * const updates = rewriteBatchNormForTraining(graph, b, (t) => shapes.get(t) ?? []);
 * ```
 */
export function rewriteBatchNormForTraining(graph: Graph, b: GraphBuilder, shape: (tensor: string) => readonly number[]): RunningUpdate[] {
  const updates: RunningUpdate[] = [];
  for (const node of graph.nodes.filter((n) => n.opType === 'BatchNormalization'))
    updates.push(...toBatchStatistics(graph, b, node, shape(node.input?.[0] ?? '')));
  graph.invalidate();
  return updates;
}
