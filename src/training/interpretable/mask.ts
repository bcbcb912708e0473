/**
 * The mask layer of interpretable CNNs (Zhang, Wu & Zhu, CVPR 2018,
 * https://arxiv.org/abs/1710.00935): x_masked = max(x ∘ T_μ̂, 0), inserted as ONNX nodes after a
 * conv layer's output, so the checkpoint carries it and every command runs it.
 *
 * Peak rule: μ̂ is the arg-max cell of the map (the paper's rule, not the authors' port's
 * activation-weighted centroid), the first one in row-major order on ties (ONNX ArgMax with
 * `select_last_index = 0`). Stage: both training and inference, because the paper's network is
 * the masked one — the layers above the mask learn on masked maps, so removing it at inference
 * would feed them a distribution they never saw. The template choice is piecewise constant in x
 * (ArgMax yields int64, which the compiler treats as a constant), so ∂x_masked/∂x = T_μ̂ where
 * x ∘ T_μ̂ > 0 and 0 elsewhere, exactly as the paper back-propagates through the mask.
 *
 * Scale: the mask multiplies by T_μ̂/τ (peak weight 1, as the authors' port does), while the filter
 * loss keeps τ. With the paper's τ = 0.5/n² a mask of x ∘ T_μ̂ would scale the maps by about 0.002
 * for a 13×13 map, so the layers above would see almost nothing and (we measured) the net stays at
 * chance. τ only sets the sharpness of p(x|T) in the loss; the mask needs only the template's shape.
 */
import { LucernaError, unknownTensorError } from '../../errors.js';
import { GraphBuilder } from '../../onnx/builder.js';
import type { Graph } from '../../onnx/graph.js';
import { DataType } from '../../onnx/proto.js';
import { typedTensor } from '../../onnx/tensors.js';
import { positiveTemplates, type TemplateOptions, templateParams } from './templates.js';

/** Ops that may sit between a Conv and the tensor named for the mask (its activation). */
const PASS_THROUGH = new Set(['Relu', 'BatchNormalization']);

/**
 * Whether `tensor` is a conv layer's output: the Conv's own output, or that output after
 * BatchNormalization and/or ReLU, or a residual sum (Add) one of whose inputs is such an output —
 * the ReLU that ends a ResNet block, the top "conv layer" of a ResNet.
 */
function fromConv(graph: Graph, tensor: string, depth = 0): boolean {
  let node = graph.producer(tensor);
  while (node && PASS_THROUGH.has(node.opType ?? '')) node = graph.producer(node.input?.[0] ?? '');
  if (node?.opType === 'Add' && depth === 0) return (node.input ?? []).some((i) => fromConv(graph, i, depth + 1));
  return node?.opType === 'Conv';
}

/**
 * Checks that `tensor` is a conv layer's output (the Conv's own output, or that output after
 * BatchNormalization and/or ReLU, or the ReLU after a ResNet block's residual Add) and that its map
 * [B, C, n, n] is square and at least 3×3.
 *
 * @example
 * ```ts
 * checkMaskable(graph, 'relu5', [1, 64, 7, 7]); // throws LucernaError if not a conv output
 * ```
 */
export function checkMaskable(graph: Graph, tensor: string, dims: readonly number[]): void {
  if (!graph.hasTensor(tensor)) throw unknownTensorError(tensor, graph.tensorNames());
  if (!fromConv(graph, tensor)) {
    throw new LucernaError(
      'BAD_OPTION',
      `--interpretable "${tensor}" is not a conv layer's output`,
      'Name the output of a Conv node (or of the ReLU/BatchNorm right after it, or of the ReLU after a residual Add)',
    );
  }
  const [, , h, w] = dims;
  if (dims.length !== 4 || h === undefined || w === undefined || h < 3 || w < 3) {
    throw new LucernaError(
      'BAD_OPTION',
      `--interpretable "${tensor}" has maps [${dims.slice(2).join('×')}]; the templates need at least 3×3`,
      'Pick a lower conv layer',
    );
  }
  if (h !== w)
    throw new LucernaError('BAD_OPTION', `--interpretable "${tensor}" has ${h}×${w} maps; the templates need square maps`, 'Pick a layer with square maps');
}

/**
 * Inserts the mask after `tensor` (dims [B, C, n, n], checked by {@link checkMaskable}) and rewires
 * every consumer of `tensor` to read the masked map instead. Returns the masked tensor's name.
 * A graph output named `tensor` stays the unmasked map.
 *
 * @example
 * ```ts
 * const masked = insertMask(graph, 'relu5', [1, 64, 7, 7]); // 'relu5/masked'
 * ```
 */
export function insertMask(graph: Graph, tensor: string, dims: readonly number[], options: TemplateOptions = {}): string {
  checkMaskable(graph, tensor, dims);
  const n = dims[2] as number;
  const consumers = graph.consumers(tensor);
  const b = new GraphBuilder(graph, `${tensor}/mask`);
  // Stored as float64 and cast, so training sees a constant, not a float32 weight to learn.
  const stored = b.unique('templates');
  graph.initializers.set(stored, typedTensor(stored, DataType.DOUBLE, positiveTemplates({ ...templateParams(n, options), tau: 1 }), [n * n, n * n]));
  const table = b.op('Cast', [stored], { to: DataType.FLOAT });
  const flat = b.op('Reshape', [tensor, b.constInt64([0, 0, -1])]);
  const peak = b.op('ArgMax', [flat], { axis: 2, keepdims: 0, select_last_index: 0 });
  const chosen = b.op('Gather', [table, peak], { axis: 0 });
  const template = b.op('Reshape', [chosen, b.op('Shape', [tensor])]);
  const masked = b.op('Relu', [b.op('Mul', [tensor, template])], {}, { outputs: [b.unique('masked')] });
  for (const c of consumers) c.input = (c.input ?? []).map((i) => (i === tensor ? masked : i));
  graph.nodes = graph.topoSorted();
  graph.invalidate();
  return masked;
}
