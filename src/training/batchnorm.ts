/**
 * BatchNormalization in training mode, rewritten into primitive ops so that the compiler's rules
 * differentiate through the batch mean and variance (Ioffe & Szegedy 2015,
 * https://arxiv.org/abs/1502.03167), with the running statistics updated as PyTorch does:
 * running_mean ← m·running_mean + (1 − m)·mean, running_var ← m·running_var + (1 − m)·var·n/(n − 1)
 * (ONNX momentum m, 0.9 by default; n = N·H·W; the normalisation itself uses the biased variance).
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

/** Emits the training-mode normalisation of one node; returns its running-statistic updates. */
function emitTrainingBatchNorm(b: GraphBuilder, node: NodeProto, xShape: readonly number[]): RunningUpdate[] {
  const [x = '', scale = '', bias = '', mean = '', variance = ''] = node.input ?? [];
  const y = node.output?.[0] ?? '';
  const channels = xShape[1] ?? 1;
  const axes = [0, ...xShape.slice(2).map((_, i) => i + 2)];
  const count = axes.reduce((p, a) => p * (xShape[a] as number), 1);
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const momentum = attrFloat(node, 'momentum', 0.9);
  const perChannel = [channels, ...xShape.slice(2).map(() => 1)];
  const batchMean = b.op('ReduceMean', [x, b.constInt64(axes)], { keepdims: 1 });
  const centered = b.op('Sub', [x, batchMean]);
  const batchVar = b.op('ReduceMean', [b.op('Mul', [centered, centered]), b.constInt64(axes)], { keepdims: 1 });
  const xHat = b.op('Div', [centered, b.op('Sqrt', [b.op('Add', [batchVar, b.scalar(eps)])])]);
  b.op('Add', [b.op('Mul', [xHat, reshape(b, scale, perChannel)]), reshape(b, bias, perChannel)], {}, { outputs: [y], name: node.name ?? undefined });
  const blend = (running: string, batch: string, factor: number) =>
    b.op('Add', [b.op('Mul', [running, b.scalar(momentum)]), b.op('Mul', [reshape(b, batch, [channels]), b.scalar((1 - momentum) * factor)])]);
  return [
    { name: mean, next: blend(mean, batchMean, 1) },
    { name: variance, next: blend(variance, batchVar, count > 1 ? count / (count - 1) : 1) },
  ];
}

/**
 * Replaces every BatchNormalization node of `graph` by its training-mode form (in place) and
 * returns the running statistics with the tensors of their updated values.
 *
 * @example
 * ```ts
 * const updates = rewriteBatchNormForTraining(graph, b, (t) => shapes.get(t) ?? []);
 * ```
 */
export function rewriteBatchNormForTraining(graph: Graph, b: GraphBuilder, shape: (tensor: string) => readonly number[]): RunningUpdate[] {
  const targets = graph.nodes.filter((n) => n.opType === 'BatchNormalization');
  const updates: RunningUpdate[] = [];
  for (const node of targets) {
    graph.nodes = graph.nodes.filter((n) => n !== node);
    updates.push(...emitTrainingBatchNorm(b, node, shape(node.input?.[0] ?? '')));
  }
  graph.invalidate();
  return updates;
}
