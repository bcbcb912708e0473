/**
 * The mask layer of interpretable CNNs (Zhang, Wu & Zhu, CVPR 2018,
 * https://arxiv.org/abs/1710.00935): x_masked = max(x ∘ T_μ̂, 0), inserted as ONNX nodes after a
 * conv layer's output, so the checkpoint carries it and every command runs it.
 *
 * Peak rule ({@link MaskCentre}): by default μ̂ is the activation-weighted centroid of the map,
 * rounded to a cell, as the ICNN authors' code does; `argmax` is the paper's text. Stage: both
 * training and inference, because the paper's network is the masked one — the layers above the
 * mask learn on masked maps, so removing it at inference would feed them a distribution they never
 * saw. The template choice is piecewise constant in x (the centre is an int64 index, which the
 * compiler treats as a constant), so ∂x_masked/∂x = T_μ̂ where x ∘ T_μ̂ > 0 and 0 elsewhere, exactly
 * as the paper (and the authors' code) back-propagates through the mask. β is a constant, or per
 * filter ({@link MaskOptions.adaptiveBeta}) as in the authors' code.
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
import { floatTensor, typedTensor } from '../../onnx/tensors.js';
import { emitCentre, type MaskCentre } from './centre.js';
import { cellDistances, type TemplateOptions, templateParams } from './templates.js';

/** How the mask is built: the template options, the centre rule and whether β is per filter. */
export interface MaskOptions extends TemplateOptions {
  /** The mask-centre rule (default `centroid`, the ICNN authors' code; `argmax` is the paper's text). */
  readonly centre?: MaskCentre;
  /**
   * Per-filter β, held in the initializer {@link maskBetaName} [1, C, 1] (starting at β) that the
   * filter loss updates during training, as the authors' code adapts it; otherwise β is a constant.
   */
  readonly adaptiveBeta?: boolean;
}

/** The masked map {@link insertMask} writes for `tensor`. @example `maskedTensorName('relu5') // 'relu5/mask/masked'` */
export const maskedTensorName = (tensor: string): string => `${tensor}/mask/masked`;

/** The initializer [1, C, 1] of a mask's per-filter β. @example `maskBetaName('relu5') // 'relu5/mask/beta'` */
export const maskBetaName = (tensor: string): string => `${tensor}/mask/beta`;

/**
 * Whether an initializer belongs to a mask layer (its name is under `<tensor>/mask/`): its constants
 * and its β, which the filter loss updates as state. None of them is a parameter.
 *
 * @example
 * ```ts
 * isMaskState('relu5/mask/beta'); // true
 * ```
 */
export const isMaskState = (name: string): boolean => name.includes('/mask/');

/**
 * Emits the mask templates T_μ̂/τ = max(1 − β·‖(i,j) − μ̂‖₁/n, −1) of the maps `flat` [B, C, n²]
 * (before the ReLU of the mask), centred by `centre`; `beta` is a scalar or a [1, C, 1] tensor.
 * Returns the templates [B, C, n²] and, with `withSpread`, each map's spread (cells, [B, C]).
 *
 * @example
 * ```ts
 * const { template } = emitMaskTemplate(b, flat, 8, 'centroid', b.scalar(4));
 * ```
 */
export function emitMaskTemplate(
  b: GraphBuilder,
  flat: string,
  n: number,
  centre: MaskCentre,
  beta: string,
  withSpread = false,
): { template: string; spread?: string } {
  const { cell, spread } = emitCentre(b, flat, n, centre, withSpread);
  // Stored as float64 and cast, so training sees a constant, not a float32 weight to learn.
  const stored = b.unique('distances');
  b.graph.initializers.set(stored, typedTensor(stored, DataType.DOUBLE, cellDistances(n), [n * n, n * n]));
  const rows = b.op('Gather', [b.op('Cast', [stored], { to: DataType.FLOAT }), cell], { axis: 0 }); // a constant (int64 index)
  const template = b.op('Max', [b.op('Sub', [b.scalar(1), b.op('Mul', [rows, beta])]), b.scalar(-1)]);
  return { template, ...(spread ? { spread } : {}) };
}

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
export function insertMask(graph: Graph, tensor: string, dims: readonly number[], options: MaskOptions = {}): string {
  checkMaskable(graph, tensor, dims);
  const n = dims[2] as number;
  const filters = dims[1] as number;
  const consumers = graph.consumers(tensor);
  const b = new GraphBuilder(graph, `${tensor}/mask`);
  const { beta } = templateParams(n, options);
  let betaTensor: string;
  if (options.adaptiveBeta) {
    betaTensor = maskBetaName(tensor);
    graph.initializers.set(betaTensor, floatTensor(betaTensor, new Array(filters).fill(beta), [1, filters, 1]));
  } else betaTensor = b.scalar(beta, 'beta');
  const flat = b.op('Reshape', [tensor, b.constInt64([0, 0, -1])]);
  const { template } = emitMaskTemplate(b, flat, n, options.centre ?? 'centroid', betaTensor);
  const shaped = b.op('Reshape', [template, b.op('Shape', [tensor])]);
  const masked = b.op('Relu', [b.op('Mul', [tensor, shaped])], {}, { outputs: [b.unique('masked')] });
  for (const c of consumers) c.input = (c.input ?? []).map((i) => (i === tensor ? masked : i));
  graph.nodes = graph.topoSorted();
  graph.invalidate();
  return masked;
}
