/**
 * The training-time rules of the ICNN authors' MatConvNet code (zqs1022/interpretableCNN, for Zhang,
 * Wu & Zhu, "Interpretable Convolutional Neural Networks", CVPR 2018, https://arxiv.org/abs/1710.00935)
 * that the paper's text leaves out, as ONNX ops on training state ({@link LossContext.state}):
 *
 * - **Per-filter β** (`our_vl_simplenn.m`, backward of `conv_mask`): each filter's β is pulled towards
 *   clamp(3/σ, 1.5, 3) in the code's [−1, 1] position units, σ the strength-weighted mean spread of the
 *   filter's maps over its category's images in the batch (strength s = mean(x ∘ T/τ), spread from
 *   `getMu.m`). Here β_next = β + r·(target − β), target converted to cell units ({@link betaFromCodeUnits}).
 *   As in the code, σ = Σ s·spread / Σ s whatever the sign of the strengths (a negative σ gives 1.5);
 *   a filter whose Σ s is 0 (no image of its category in the batch) keeps its β, where the code's
 *   NaN would pull it to 3.
 * - **Filter reassignment** (`our_cnn_train.m`): a running mean (momentum 0.9) per category and filter
 *   of the filter's peak, averaged over the batch's images of the category; a category's row starts
 *   at max(mean, 0.1) the first time it is seen, and a zero mean keeps the old value. Each step,
 *   every filter belongs to the category whose running mean is highest (excluded classes never own one).
 *   With `relative` (not the authors' rule; `--filter-assign relative`), each category's running means are
 *   first divided by their mean over the layer's filters, so a category that makes the whole layer fire
 *   more (larger figures, or a trunk the loss has shifted towards it) does not win every filter.
 * - **Loss-weight schedule** (`our_vl_simplenn.m`: the filter gradient is divided by the epoch number):
 *   the weight of epoch e (1-based) is w/e.
 */
import { DataType } from '../../onnx/proto.js';
import type { LossContext } from '../loss.js';
import type { MaskCentre } from './centre.js';
import { emitMaskTemplate } from './mask.js';
import { betaFromCodeUnits, cellDistances, type TemplateParams } from './templates.js';

/** The context's state functions (the training step provides them). */
function stateOf(ctx: LossContext): Required<Pick<LossContext, 'state' | 'update'>> {
  if (!ctx.state || !ctx.update) throw new Error('The filter loss needs training state here (β, reassignment or the schedule): emit it in a training step');
  return { state: ctx.state.bind(ctx), update: ctx.update.bind(ctx) };
}

/**
 * Declares a mask's β [1, C, 1] as training state and returns it.
 *
 * @example
 * ```ts
 * const beta = betaState(ctx, 'relu5/mask/beta', 64);
 * ```
 */
export function betaState(ctx: LossContext, name: string, filters: number): string {
  return stateOf(ctx).state(name, [1, filters, 1]);
}

/** The state [K, C] of a layer's running per-class peaks. @example `classPeaksName('relu5') // 'icnn:relu5:class_peaks'` */
export const classPeaksName = (tensor: string): string => `icnn:${tensor}:class_peaks`;

/** The authors' momentum of the running per-category peak. */
export const ASSIGN_MOMENTUM = 0.9;

/**
 * The per-filter template columns [C, n², n² + 1]: column μ of filter c is τ·max(1 − β_c·D[μ], −1),
 * the last is T⁻ = −τ (`beta` is the [1, C, 1] state).
 *
 * @example
 * ```ts
 * const columns = emitFilterColumns(ctx, 'relu5/mask/beta', templateParams(8), 64);
 * ```
 */
export function emitFilterColumns(ctx: LossContext, beta: string, p: TemplateParams, filters: number): string {
  const { b } = ctx;
  const cells = p.n * p.n;
  const d = b.constFloat(cellDistances(p.n), [1, cells, cells], 'distances');
  const betaC = b.op('Reshape', [beta, b.constInt64([filters, 1, 1])]);
  const positive = b.op('Mul', [b.op('Max', [b.op('Sub', [b.scalar(1), b.op('Mul', [d, betaC])]), b.scalar(-1)]), b.scalar(p.tau)]);
  const negative = b.constFloat(new Array(filters * cells).fill(-p.tau), [filters, cells, 1], 'negative');
  return b.op('Concat', [positive, negative], { axis: 2 });
}

/**
 * Emits the β update of the filters (see the module comment) from the maps `flat` [B, C, n²] and the
 * membership `member` [B, C] (1 where image b is of filter c's category).
 *
 * @example
 * ```ts
 * emitBetaUpdate(ctx, { tensor: 'relu5', flat, member, n: 8, filters: 64, centre: 'centroid', rate: 0.016 });
 * ```
 */
export function emitBetaUpdate(
  ctx: LossContext,
  o: { beta: string; flat: string; member: string; n: number; filters: number; centre: MaskCentre; rate: number },
): void {
  const { b } = ctx;
  const { template, spread = '' } = emitMaskTemplate(b, o.flat, o.n, o.centre, o.beta, true);
  const summed = b.op('ReduceSum', [b.op('Mul', [o.flat, template]), b.constInt64([2])], { keepdims: 0 });
  const strength = b.op('Mul', [summed, b.scalar(1 / (o.n * o.n))]); // mean(x ∘ T/τ) [B, C]
  const first = b.constInt64([0]);
  const weighted = b.op('Mul', [strength, o.member]);
  const num = b.op('ReduceSum', [b.op('Mul', [weighted, spread]), first], { keepdims: 0 }); // [C]
  const den = b.op('ReduceSum', [weighted, first], { keepdims: 0 });
  const valid = b.op('Not', [b.op('Equal', [den, b.scalar(0)])]);
  const safe = b.op('Where', [valid, den, b.scalar(1)]);
  const code = b.op('Max', [b.op('Min', [b.op('Div', [b.scalar(3), b.op('Div', [num, safe])]), b.scalar(3)]), b.scalar(1.5)]);
  const current = b.op('Reshape', [o.beta, b.constInt64([o.filters])]);
  const target = b.op('Where', [valid, b.op('Mul', [code, b.scalar(betaFromCodeUnits(1, o.n))]), current]);
  const next = b.op('Add', [current, b.op('Mul', [b.op('Sub', [target, current]), b.scalar(o.rate)])]);
  stateOf(ctx).update(o.beta, b.op('Reshape', [next, b.constInt64([1, o.filters, 1])]));
}

/**
 * Emits this step's filter categories from the running per-category peaks (see the module comment)
 * and returns the membership [B, C]; `state` names the [K, C] running means.
 *
 * @example
 * ```ts
 * const member = emitReassignment(ctx, { state: 'icnn:relu5:class_peaks', flat, filters: 64, exclude: [2] });
 * const relative = emitReassignment(ctx, { state: 'icnn:relu5:class_peaks', flat, filters: 64, exclude: [2], relative: true });
 * ```
 */
export function emitReassignment(
  ctx: LossContext,
  o: { state: string; flat: string; filters: number; exclude: readonly number[]; relative?: boolean },
): string {
  const { b, classes } = ctx;
  const { state, update } = stateOf(ctx);
  const slice = state(o.state, [classes, o.filters]);
  const [top] = b.ops('TopK', [o.flat, b.constInt64([1])], { axis: 2 }, { outputs: 2 });
  const peaks = b.op('Squeeze', [top as string, b.constInt64([2])]); // [B, C]
  const byClass = b.op('Transpose', [ctx.oneHot], { perm: [1, 0] }); // [K, B]
  const counts = b.op('ReduceSum', [byClass, b.constInt64([1])], { keepdims: 1 }); // [K, 1]
  const mean = b.op('Div', [b.op('MatMul', [byClass, peaks]), b.op('Max', [counts, b.scalar(1)])]);
  const present = b.op('Greater', [counts, b.scalar(0)]);
  const empty = b.op('Equal', [b.op('ReduceSum', [slice, b.constInt64([1])], { keepdims: 1 }), b.scalar(0)]);
  const start = b.op('Max', [mean, b.scalar(0.1)]);
  const kept = b.op('Where', [b.op('Equal', [mean, b.scalar(0)]), slice, mean]);
  const blended = b.op('Add', [b.op('Mul', [slice, b.scalar(ASSIGN_MOMENTUM)]), b.op('Mul', [kept, b.scalar(1 - ASSIGN_MOMENTUM)])]);
  update(o.state, b.op('Where', [present, b.op('Where', [empty, start, blended]), slice]));
  const prior = b.op('Where', [b.op('And', [present, empty]), start, slice]);
  // relative: each class row over its mean over the filters [K, 1] (see the module comment)
  const score = o.relative
    ? b.op('Div', [
        prior,
        b.op('Max', [b.op('Mul', [b.op('ReduceSum', [prior, b.constInt64([1])], { keepdims: 1 }), b.scalar(1 / o.filters)]), b.scalar(1e-12)]),
      ])
    : prior;
  const lowered = b.op('Add', [
    score,
    b.constFloat(
      Array.from({ length: classes }, (_, k) => (o.exclude.includes(k) ? -1e30 : 0)),
      [classes, 1],
      'owners',
    ),
  ]);
  const owner = b.op('ArgMax', [lowered], { axis: 0, keepdims: 1, select_last_index: 0 }); // [1, C]
  const range = b.constInt64(
    Array.from({ length: classes }, (_, k) => k),
    [classes, 1],
  );
  const assign = b.op('Cast', [b.op('Equal', [range, owner])], { to: DataType.FLOAT }); // [K, C]
  return b.op('MatMul', [ctx.oneHot, assign]);
}

/**
 * The filter-loss weight of this step, w/e with e the 1-based epoch, from a step counter kept as
 * the state `counter` (the authors' only schedule of the loss).
 *
 * @example
 * ```ts
 * const w = emitEpochWeight(ctx, 'icnn:relu5:step', 1, 38);
 * ```
 */
export function emitEpochWeight(ctx: LossContext, counter: string, weight: number, stepsPerEpoch: number): string {
  const { b } = ctx;
  const { state, update } = stateOf(ctx);
  const step = state(counter, []);
  update(counter, b.op('Add', [step, b.scalar(1)]));
  const epoch = b.op('Add', [b.op('Floor', [b.op('Div', [step, b.scalar(stepsPerEpoch)])]), b.scalar(1)]);
  return b.op('Div', [b.scalar(weight), epoch]);
}
