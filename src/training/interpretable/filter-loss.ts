/**
 * The filter loss of interpretable CNNs (Zhang, Wu & Zhu, CVPR 2018,
 * https://arxiv.org/abs/1710.00935) as a training-graph {@link LossTerm}: the paper's
 * Loss_f = −MI(X; T), emitted as ONNX ops and differentiated exactly by our compiler (not the
 * authors' hand-written approximate gradient).
 *
 * For one filter f with maps x_b (b over the batch) and templates T_t (n² positives, then T⁻):
 * - S_bt = tr(x_b·T_t), read as the inner product Σ_ij x_b[i,j]·T_t[i,j];
 * - p(x_b|T_t) = P_bt = exp(S_bt) / Z_t with Z_t = Σ_b' exp(S_b't) (the batch's maps);
 * - p(x_b) = u_b = Σ_t q_t·P_bt with the priors q_t = p(T_t);
 * - MI = Σ_t q_t Σ_b P_bt·R_bt with R_bt = log(P_bt / u_b), computed as
 *   LogSoftmax_t(log P + log q) − log q (so only LogSoftmax/Softmax/MatMul/Mul/ReduceSum are used).
 *
 * Categories: filter f belongs to category c_f. A positive template may only explain maps of images
 * of c_f: for the other images S_bt gets −{@link EXCLUDED} (their p(x|T_μ) is 0 to float precision),
 * while T⁻ explains every image. Single-category mode is c_f = the object class for every filter
 * (the others are `none`); multi-category mode assigns filters with {@link assignFilters}. A batch
 * with no image of c_f leaves that filter's positive P uniform over the batch; shuffle balanced data.
 *
 * Gradient (what the compiler produces; checked against finite differences in the tests): since
 * MI = −Σ_t q_t·H(P_·t) + H(u), ∂MI/∂P_bt = q_t·R_bt, and through the softmax over b
 *   ∂MI/∂S_bt = q_t·P_bt·(R_bt − KL_t),  KL_t = Σ_b P_bt·R_bt = KL(p(x|T_t) ‖ p(x)),
 * so ∂Loss/∂x_b = −w·Σ_t q_t·P_bt·(R_bt − KL_t)·T_t for the filter's own maps (w the weight).
 * The total is the sum over the filters of the layer.
 */
import type { LossContext, LossTerm } from '../loss.js';
import { emitApproxSurrogate, stopGradient } from './approx-loss.js';
import type { MaskCentre } from './centre.js';
import { betaState, classPeaksName, emitBetaUpdate, emitEpochWeight, emitFilterColumns, emitReassignment } from './code-rules.js';
import { emitMaskTemplate, maskBetaName } from './mask.js';
import { type TemplateOptions, templateColumns, templateLogPriors, templateParams } from './templates.js';

/** The logit offset that removes an image from a positive template's normaliser. */
export const EXCLUDED = 1e4;

/** One layer's filter loss. */
export interface FilterLossOptions extends TemplateOptions {
  /** The conv output [B, C, n, n] (before the mask). */
  readonly tensor: string;
  /** Category (class index) of each of the C filters. */
  readonly categories: readonly number[];
  /** Weight w of the term (default 1). */
  readonly weight?: number;
  /**
   * `exact` (default): the paper's −MI, differentiated by the compiler. `approx`: the same value is
   * reported, but the gradient is the ICNN authors' approximation ({@link emitApproxSurrogate}).
   */
  readonly form?: 'exact' | 'approx';
  /** The mask-centre rule of the layer's mask (default `centroid`): the approx form and the β update centre on it. */
  readonly centre?: MaskCentre;
  /**
   * Per-filter β (the mask's β state, {@link maskBetaName}): the templates use it and it is updated
   * each step by the authors' rule ({@link emitBetaUpdate}) at this rate (default: constant β).
   */
  readonly betaRate?: number;
  /**
   * Reassign filters every step by their running per-class peak ({@link emitReassignment}; `relative`:
   * each class's peaks over their mean over the filters); `categories` is then unused.
   */
  readonly reassign?: { readonly exclude: readonly number[]; readonly relative?: boolean };
  /** Divide the weight by the 1-based epoch, counting this many steps per epoch (the authors' schedule; default constant). */
  readonly stepsPerEpoch?: number;
}

/**
 * The assignment matrix [K, C]: 1 where filter c belongs to class k.
 *
 * @example
 * ```ts
 * assignmentMatrix([1, 0], 2); // [0, 1, 1, 0]
 * ```
 */
export function assignmentMatrix(categories: readonly number[], classes: number): Float32Array {
  const out = new Float32Array(classes * categories.length);
  categories.forEach((k, c) => {
    out[k * categories.length + c] = 1;
  });
  return out;
}

/**
 * Multi-category assignment: each filter goes to the class whose images make it fire most, given
 * a per-class activation statistic [K, C] of each filter (ties: the lower class). Classes in
 * `exclude` never own a filter: the paper's categories are object categories, so a `none` class
 * of background images only supplies negatives (as the ICNN authors' multi-class code, where a
 * filter's negatives are the images of every other category).
 *
 * @example
 * ```ts
 * assignFilters(new Float32Array([1, 5, 3, 2]), 2, 2); // [1, 0]
 * assignFilters(new Float32Array([1, 5, 3, 2]), 2, 2, [1]); // [0, 0]
 * ```
 */
export function assignFilters(meanActivation: ArrayLike<number>, classes: number, filters: number, exclude: readonly number[] = []): number[] {
  const owners = Array.from({ length: classes }, (_, k) => k).filter((k) => !exclude.includes(k));
  if (owners.length === 0) throw new Error(`assignFilters: every one of the ${classes} classes is excluded`);
  return Array.from({ length: filters }, (_, c) => {
    let best = owners[0] as number;
    for (const k of owners) if ((meanActivation[k * filters + c] as number) > (meanActivation[best * filters + c] as number)) best = k;
    return best;
  });
}

/**
 * Each class's row of a per-class statistic [K, C] (class-major) divided by its mean over the C
 * filters (a row whose mean is 0 stays 0): the statistic of the `relative` assignment rule, where a
 * filter goes to the class it fires for most *relative to how much that class makes the whole layer fire*.
 * Not the rule of Zhang, Wu & Zhu's code (https://arxiv.org/abs/1710.00935), which compares the raw
 * peaks; `docs/icnn.md` shows why that rule hands every filter to one class on our figures.
 *
 * @example
 * ```ts
 * relativeToClassLevel(new Float32Array([2, 6, 1, 1]), 2); // [0.5, 1.5, 1, 1]
 * ```
 */
export function relativeToClassLevel(stat: ArrayLike<number>, classes: number): Float64Array {
  const filters = stat.length / classes;
  const out = new Float64Array(stat.length);
  for (let k = 0; k < classes; k++) {
    let sum = 0;
    for (let c = 0; c < filters; c++) sum += stat[k * filters + c] as number;
    const level = Math.max(sum / filters, 1e-12);
    for (let c = 0; c < filters; c++) out[k * filters + c] = (stat[k * filters + c] as number) / level;
  }
  return out;
}

/** Emits −w·Σ_f MI_f for the maps of `tensor`; returns the scalar. */
function emitFilterLoss(ctx: LossContext, o: FilterLossOptions): string {
  const { b } = ctx;
  const [batch, filters, n] = ctx.shape(o.tensor) as [number, number, number, number];
  const cells = n * n;
  const p = templateParams(n, o);
  const beta = o.betaRate === undefined ? undefined : betaState(ctx, maskBetaName(o.tensor), filters);
  const columns = beta ? emitFilterColumns(ctx, beta, p, filters) : b.constFloat(templateColumns(p), [cells, cells + 1], 'templates');
  const logPrior = templateLogPriors(p);
  const logQ = b.constFloat(logPrior, [cells + 1], 'log_prior');
  const q = b.constFloat(logPrior.map(Math.exp), [cells + 1], 'prior');
  const flat = b.op('Reshape', [o.tensor, b.constInt64([batch, filters, cells])]);
  const maps = b.op('Transpose', [flat], { perm: [1, 0, 2] });
  const scores = b.op('MatMul', [maps, columns]); // [C, B, n²+1]
  const member = o.reassign
    ? emitReassignment(ctx, { state: classPeaksName(o.tensor), flat, filters, exclude: o.reassign.exclude, relative: o.reassign.relative })
    : b.op('MatMul', [ctx.oneHot, b.constFloat(assignmentMatrix(o.categories, ctx.classes), [ctx.classes, filters], 'assign')]);
  const outside = b.op('Sub', [b.op('Reshape', [b.op('Transpose', [member], { perm: [1, 0] }), b.constInt64([filters, batch, 1])]), b.scalar(1)]);
  const positive = b.constFloat(
    Array.from({ length: cells + 1 }, (_, t) => (t < cells ? EXCLUDED : 0)),
    [cells + 1],
    'positive',
  );
  const gated = b.op('Add', [scores, b.op('Mul', [outside, positive])]);
  const logP = b.op('LogSoftmax', [gated], { axis: 1 });
  const prob = b.op('Softmax', [gated], { axis: 1 });
  const ratio = b.op('Sub', [b.op('LogSoftmax', [b.op('Add', [logP, logQ])], { axis: 2 }), logQ]);
  const mi = b.op('ReduceSum', [b.op('Mul', [b.op('Mul', [prob, ratio]), q])], { keepdims: 0 });
  const weight = o.stepsPerEpoch ? emitEpochWeight(ctx, `icnn:${o.tensor}:step`, o.weight ?? 1, o.stepsPerEpoch) : b.scalar(o.weight ?? 1);
  const centre = o.centre ?? 'centroid';
  if (beta) emitBetaUpdate(ctx, { beta, flat, member, n, filters, centre, rate: o.betaRate as number });
  // The reported value is −w·MI at the base weight, so curves compare across epochs and schedules;
  // the gradient is that of −w_e·MI, the weight of this epoch.
  const value = b.op('Mul', [mi, b.scalar(-(o.weight ?? 1))]);
  if (o.form !== 'approx') {
    const scheduled = o.stepsPerEpoch ? b.op('Mul', [mi, b.op('Neg', [weight])]) : value;
    const reported = scheduled === value ? value : b.op('Add', [stopGradient(b, value), b.op('Sub', [scheduled, stopGradient(b, scheduled)])]);
    return b.op('Identity', [reported], {}, { outputs: [b.unique('filter_loss')] });
  }
  // The value stays −w·MI (comparable with the exact form); only the surrogate carries a gradient.
  const memberCB = b.op('Transpose', [member], { perm: [1, 0] });
  const { template } = emitMaskTemplate(b, flat, n, centre, beta ?? b.scalar(p.beta));
  const mask = b.op('Transpose', [template], { perm: [1, 0, 2] });
  const surrogate = emitApproxSurrogate(ctx, maps, memberCB, mask, weight, cells);
  const gradientOnly = b.op('Sub', [surrogate, stopGradient(b, surrogate)]);
  return b.op('Add', [stopGradient(b, value), gradientOnly], {}, { outputs: [b.unique('filter_loss')] });
}

/**
 * The filter-loss term for one masked layer.
 *
 * @example
 * ```ts
 * const terms = [softmaxCrossEntropy(), filterLoss({ tensor: 'relu5', categories: Array(64).fill(0), weight: 0.5 })];
 * ```
 */
export function filterLoss(options: FilterLossOptions): LossTerm {
  return { name: `filter_loss:${options.tensor}`, emit: (ctx) => emitFilterLoss(ctx, options) };
}
