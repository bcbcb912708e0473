/**
 * Vector-Jacobian rules for normalization layers: BatchNormalization (running or batch statistics)
 * and LayerNormalization (Ba et al. 2016, https://arxiv.org/abs/1607.06450).
 */
import { LucernaError } from '../../errors.js';
import { attrFloat, attrInt } from '../../onnx/attributes.js';
import type { VjpContext, VjpRule } from '../vjp.js';
import { normalizeAxis, reduceKeep, rejectGradAtOutputs, trailingAxes } from './elementwise-util.js';
import { grad0, reshapeTo, unbroadcast } from './util.js';

/** Throws a clear error when the plan needs the gradient of one of `inputs` of this node. */
function rejectParameterGrads(ctx: VjpContext, inputs: readonly number[], what: string): void {
  const needed = inputs.filter((i) => ctx.input(i) && ctx.needsGrad(i));
  if (needed.length > 0) {
    const names = needed.map((i) => `"${ctx.input(i)}"`).join(', ');
    throw new LucernaError(
      'UNSUPPORTED_MODEL',
      `Node "${ctx.node.name}" (${ctx.node.opType}) computes its ${what} ${names} from the input; only X, scale and bias can be differentiated`,
      'Export the model with its running statistics as initializers',
    );
  }
}

/**
 * BatchNormalization (Ioffe & Szegedy 2015, https://arxiv.org/abs/1502.03167) in inference mode,
 * Y = (X − mean) · scale / √(var + ε) + B per channel (axis 1):
 * dX = dY · scale / √(var + ε), dScale = Σ dY · (X − mean) / √(var + ε), dB = Σ dY (sums over every
 * axis but 1). The running statistics are constants here (training's "frozen" mode); the per-channel
 * factor is emitted from the initializers, so ORT folds it to a constant at load. Batch statistics
 * computed in the graph, in the training step's form, go to {@link batchNormTrainRule}; ONNX's
 * `training_mode` and any other computed statistics raise a clear error.
 *
 * @example
 * ```ts
 * const [dX, dScale, dB] = batchNormRule(ctx);
 * ```
 */
export const batchNormRule: VjpRule = (ctx) => {
  const { b } = ctx;
  if (attrInt(ctx.node, 'training_mode', 0) !== 0) {
    throw new LucernaError(
      'UNSUPPORTED_MODEL',
      `BatchNormalization node "${ctx.node.name}" runs in training mode`,
      'Export the model in eval (inference) mode',
    );
  }
  const stats = ctx.needsGrad(3) || ctx.needsGrad(4) ? batchStatistics(ctx) : undefined;
  if (stats) return batchNormTrainRule(ctx, stats);
  rejectParameterGrads(ctx, [3, 4], 'mean or variance');
  rejectGradAtOutputs(ctx, [1, 2], 'the running mean/variance outputs');
  const x = ctx.input(0);
  const xShape = ctx.shape(x);
  const channels = xShape[1] ?? 1;
  const perChannel = (t: string) => reshapeTo(b, t, [channels, ...xShape.slice(2).map(() => 1)]);
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  const invStd = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [ctx.input(4), b.scalar(eps)])])]);
  const dy = grad0(ctx);
  const sumAxes = [0, ...xShape.slice(2).map((_, i) => i + 2)];
  const channelSum = (t: string) => b.op('ReduceSum', [t, b.constInt64(sumAxes)], { keepdims: 0 });
  const dX = ctx.needsGrad(0) ? b.op('Mul', [dy, perChannel(b.op('Mul', [ctx.input(1), invStd]))]) : undefined;
  let dScale: string | undefined;
  if (ctx.needsGrad(1)) {
    const xHat = b.op('Mul', [b.op('Sub', [x, perChannel(ctx.input(3))]), perChannel(invStd)]);
    dScale = channelSum(b.op('Mul', [dy, xHat]));
  }
  const dBias = ctx.needsGrad(2) ? channelSum(dy) : undefined;
  return [dX, dScale, dBias];
};

/** The batch-statistics form of one BatchNormalization node (see {@link batchStatistics}). */
export interface BatchStatistics {
  /** X − μ, [N, C, …]. */
  readonly centered: string;
  /** σ² (biased) with the reduced axes kept, [1, C, 1…]. */
  readonly variance: string;
}

/**
 * Recognises a BatchNormalization fed with its own input's batch statistics, as the training step
 * builds it: mean = Reshape(ReduceMean(X)) and var = Reshape(Mul(ReduceSum(c·c), 1/n)) with c = X − ReduceMean(X).
 * Returns the centred input and the variance, or undefined for any other form.
 *
 * @example
 * ```ts
 * const stats = batchStatistics(ctx); // { centered, variance } when ctx.node normalises with batch statistics
 * ```
 */
export function batchStatistics(ctx: VjpContext): BatchStatistics | undefined {
  const g = ctx.graph;
  const from = (t: string, op: string) => {
    const n = g.producer(t);
    return n?.opType === op ? n : undefined;
  };
  const x = ctx.input(0);
  const meanKeep = from(ctx.input(3), 'Reshape')?.input?.[0] ?? '';
  const varKeep = from(ctx.input(4), 'Reshape')?.input?.[0] ?? '';
  if (from(meanKeep, 'ReduceMean')?.input?.[0] !== x) return undefined;
  const sumSquares = from(from(varKeep, 'Mul')?.input?.[0] ?? '', 'ReduceSum');
  const centered = from(sumSquares?.input?.[0] ?? '', 'Mul')?.input?.[0] ?? '';
  const sub = from(centered, 'Sub');
  if (sub?.input?.[0] !== x || sub.input?.[1] !== meanKeep) return undefined;
  return { centered, variance: varKeep };
}

/**
 * BatchNormalization with batch statistics (training mode, in the form {@link batchStatistics}
 * recognises; n values per channel). With c = X − μ, r = 1/√(σ² + ε), x̂ = c·r and sums Σ per channel:
 * dScale = r·Σ dY·c, dB = Σ dY, dX = scale·r·(dY − (Σ dY + x̂·Σ dY·x̂)/n)
 * = (dY − c·k − Σ dY/n)·scale·r with k = r²·Σ dY·c / n.
 * dX already holds the paths through μ and σ², so the statistics get no gradient of their own. It
 * reuses the forward's c and σ²: eight passes over the activation, against some twenty for the same
 * normalisation written as primitive ops and differentiated op by op.
 *
 * @example
 * ```ts
 * const [dX, dScale, dB] = batchNormTrainRule(ctx, batchStatistics(ctx));
 * ```
 */
export function batchNormTrainRule(ctx: VjpContext, stats: BatchStatistics): (string | undefined)[] {
  const { b } = ctx;
  rejectGradAtOutputs(ctx, [1, 2], 'the running mean/variance outputs');
  const xShape = ctx.shape(ctx.input(0));
  const channels = xShape[1] ?? 1;
  const axes = [0, ...xShape.slice(2).map((_, i) => i + 2)];
  const n = axes.reduce((p, a) => p * (xShape[a] as number), 1);
  const dy = grad0(ctx);
  const toChannels = (t: string) => reshapeTo(b, t, [channels]);
  const r = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [stats.variance, b.scalar(attrFloat(ctx.node, 'epsilon', 1e-5))])])]);
  const sumDy = reduceKeep(b, 'ReduceSum', dy, axes);
  const sumDyC = reduceKeep(b, 'ReduceSum', b.op('Mul', [dy, stats.centered]), axes);
  let dX: string | undefined;
  if (ctx.needsGrad(0)) {
    // PyTorch's order of operations (the kernel of batch_norm_backward), which keeps a channel
    // whose gradient nearly cancels as close to PyTorch's as the rest
    const k = b.op('Mul', [b.op('Mul', [sumDyC, b.scalar(1 / n)]), b.op('Mul', [r, r])]);
    const minusMean = b.op('Mul', [sumDy, b.scalar(-1 / n)]);
    const k1 = b.op('Mul', [reshapeTo(b, ctx.input(1), [1, channels, ...xShape.slice(2).map(() => 1)]), r]);
    dX = b.op('Mul', [b.op('Add', [b.op('Sub', [dy, b.op('Mul', [stats.centered, k])]), minusMean]), k1]);
  }
  const dScale = ctx.needsGrad(1) ? toChannels(b.op('Mul', [sumDyC, r])) : undefined;
  const dBias = ctx.needsGrad(2) ? toChannels(sumDy) : undefined;
  return [dX, dScale, dBias, undefined, undefined];
}

/**
 * LayerNormalization over the axes `axis..rank−1`, Y = x̂ · scale + B with x̂ = (X − μ) · r and
 * r = 1/√(σ² + ε). With g = dY · scale and means ⟨·⟩ over the normalized axes:
 * dX = r · (g − ⟨g⟩ − x̂ · ⟨g · x̂⟩); dScale = Σ dY · x̂, dB = Σ dY (when those are activations).
 * Only output 0 is differentiated; the Mean and InvStdDev outputs must not lead to a seed.
 *
 * @example
 * ```ts
 * const [dX] = layerNormRule(ctx);
 * ```
 */
export const layerNormRule: VjpRule = (ctx) => {
  const { b } = ctx;
  rejectGradAtOutputs(ctx, [1, 2], 'the Mean or InvStdDev output');
  const x = ctx.input(0);
  const scale = ctx.input(1);
  const bias = ctx.input(2);
  const xShape = ctx.shape(x);
  const yShape = ctx.shape(ctx.output(0));
  const axes = trailingAxes(normalizeAxis(ctx, attrInt(ctx.node, 'axis', -1), xShape.length), xShape.length);
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  const mean = (t: string) => reduceKeep(b, 'ReduceMean', t, axes);
  const dy = grad0(ctx);

  const centered = b.op('Sub', [x, mean(x)]);
  const variance = mean(b.op('Mul', [centered, centered]));
  const invStd = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [variance, b.scalar(eps)])])]);
  const xHat = b.op('Mul', [centered, invStd]);

  let dX: string | undefined;
  if (ctx.needsGrad(0)) {
    const g = b.op('Mul', [dy, scale]);
    const inner = b.op('Add', [mean(g), b.op('Mul', [xHat, mean(b.op('Mul', [g, xHat]))])]);
    dX = b.op('Mul', [invStd, b.op('Sub', [g, inner])]);
  }
  const dScale = ctx.needsGrad(1) ? unbroadcast(b, b.op('Mul', [dy, xHat]), yShape, ctx.shape(scale)) : undefined;
  const dBias = bias && ctx.needsGrad(2) ? unbroadcast(b, dy, yShape, ctx.shape(bias)) : undefined;
  return [dX, dScale, dBias];
};

/**
 * Normalization rules, by op type.
 *
 * @example
 * ```ts
 * const rule = normalizationRules.BatchNormalization;
 * ```
 */
export const normalizationRules: Record<string, VjpRule> = {
  BatchNormalization: batchNormRule,
  LayerNormalization: layerNormRule,
};
