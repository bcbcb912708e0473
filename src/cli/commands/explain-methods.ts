/**
 * How `lucerna explain` runs each method: the options it passes (every default made explicit so
 * the report can state it), and how the raw map is shown (sign, channel reduction, range floor).
 */
import { getMethod, methodNames } from '../../attribution/methods.js';
import type { AttributionMethod, CommonOptions } from '../../attribution/types.js';
import type { ConvergenceCheck, SettingValue } from '../../render/report/types.js';
import type { RangeFloor, Sign } from '../../render/scale.js';
import type { MethodParams } from './explain-options.js';

/**
 * Every method `explain` can run: the registry's.
 *
 * @example `explainMethodNames().includes('rise'); // true`
 */
export function explainMethodNames(): string[] {
  return methodNames();
}

/**
 * A method by name, from the registry (close names suggested for a typo).
 *
 * @example `explainMethod('occlusion').kind; // 'perturbation'`
 */
export function explainMethod(name: string): AttributionMethod<CommonOptions> {
  return getMethod(name);
}

/** How the channels of an input-shaped map are combined into one plane. */
export type Reduction = 'sum' | 'abs-sum' | 'mean' | 'none';

/** What a recipe needs to know about the run. */
export interface RecipeContext {
  /** The validated CAM layer, when a layer method runs. */
  readonly layer?: string;
  /** The model input for one image, [1, C, H, W]. */
  readonly inputShape: readonly number[];
  /** Whether the model output holds logits or probabilities. */
  readonly outputKind: 'logits' | 'probabilities';
  readonly params: MethodParams;
}

/** One method's run and display plan. */
export interface Recipe {
  /** Method options (the targets are added per call). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Every setting, as the report shows it. */
  readonly settings: Readonly<Record<string, SettingValue>>;
  readonly sign: Sign;
  readonly reduction: Reduction;
  readonly floor?: RangeFloor;
  /**
   * Share one display range across targets (default true). RISE does not: its maps carry an
   * offset ≈ the class probability, so a shared range would flatten the likelier class's map.
   */
  readonly shareAcrossTargets?: boolean;
}

function scoreSetting(ctx: RecipeContext, probability = false): string {
  if (ctx.outputKind === 'probabilities') return 'probability (the model output)';
  return probability ? 'probability (softmax of the logits)' : 'logit';
}

/**
 * Occlusion window and stride in pixels for an H×W input: the given ones (clamped to the image),
 * else a seventh of the shorter side with a half-window stride.
 *
 * @example
 * ```ts
 * occlusionGeometry(params, 224, 224); // { window: 32, stride: 16 }
 * ```
 */
export function occlusionGeometry(params: MethodParams, height: number, width: number): { window: number; stride: number } {
  const window = Math.min(params.window ?? Math.ceil(Math.min(height, width) / 7), height, width);
  return { window, stride: Math.min(params.stride ?? Math.max(1, Math.floor(window / 2)), window) };
}

/**
 * The recipe of a method: explicit options, stated settings and display choices.
 *
 * @example
 * ```ts
 * const r = recipeFor('integrated-gradients', { inputShape: [1, 3, 224, 224], outputKind: 'logits', params });
 * r.options; // { batchSize: 8, steps: 64, integration: 'gauss-legendre', baseline: 'zeros' }
 * ```
 */
export function recipeFor(name: string, ctx: RecipeContext): Recipe {
  const p = ctx.params;
  const batch = { batchSize: p.batchSize };
  const common = { score: scoreSetting(ctx), 'batch size': p.batchSize };
  const [, channels, height, width] = ctx.inputShape as [number, number, number, number];
  if (getMethod(name).output === 'layer-map') {
    return {
      options: { ...batch, layer: ctx.layer, relu: true, upsample: 'bilinear' },
      settings: { ...common, layer: ctx.layer ?? '', relu: true, upsampling: `bilinear to ${height}×${width}` },
      sign: 'positive',
      reduction: 'none',
    };
  }
  switch (name) {
    case 'guided-grad-cam':
      return {
        options: { ...batch, layer: ctx.layer },
        settings: { ...common, layer: ctx.layer ?? '', 'Grad-CAM factor': 'ReLU, bilinear upsampling', backprop: 'guided' },
        sign: 'absolute',
        reduction: 'abs-sum',
      };
    case 'integrated-gradients':
      return {
        options: { ...batch, steps: p.steps, integration: p.integration, baseline: 'zeros' },
        settings: { ...common, steps: p.steps, integration: p.integration, baseline: 'zeros' },
        sign: 'all',
        reduction: 'sum',
      };
    case 'smoothgrad':
    case 'smoothgrad-sq':
    case 'vargrad':
      return {
        options: { ...batch, samples: p.samples, stdev: p.stdev, stdevMode: 'absolute', seed: p.seed, ...(name === 'smoothgrad' ? { abs: true } : {}) },
        settings: {
          ...common,
          samples: p.samples,
          stdev: p.stdev,
          noise: 'Gaussian, absolute stdev',
          seed: p.seed,
          ...(name === 'smoothgrad' ? { inner: 'saliency, |gradient|' } : {}),
        },
        sign: 'positive',
        reduction: 'sum',
      };
    case 'occlusion': {
      const { window, stride } = occlusionGeometry(p, height, width);
      return {
        options: { ...batch, window: [channels, window, window], strides: [channels, stride, stride], baseline: 'zeros' },
        settings: { ...common, window: [channels, window, window], strides: [channels, stride, stride], baseline: 'zeros' },
        sign: 'all',
        reduction: 'mean',
      };
    }
    case 'rise':
      return {
        options: { ...batch, masks: p.masks, keep: 0.5, seed: p.seed, score: ctx.outputKind === 'logits' ? 'probability' : 'logit' },
        settings: { ...common, score: scoreSetting(ctx, true), masks: p.masks, keep: 0.5, seed: p.seed },
        sign: 'positive',
        reduction: 'none',
        floor: 'percentile',
        shareAcrossTargets: false,
      };
    case 'saliency':
      return { options: { ...batch, abs: true }, settings: { ...common, abs: true }, sign: 'positive', reduction: 'sum' };
    case 'guided-backprop':
    case 'deconvnet':
      return { options: batch, settings: common, sign: 'absolute', reduction: 'abs-sum' };
    case 'deeplift':
      return { options: { ...batch, baseline: 'zeros' }, settings: { ...common, baseline: 'zeros' }, sign: 'all', reduction: 'sum' };
    default:
      return { options: batch, settings: common, sign: 'all', reduction: 'sum' };
  }
}

/**
 * Adds the method's own details (e.g. occlusion's window positions, RISE's grid) to the settings,
 * keeping only plain values.
 *
 * @example
 * ```ts
 * withDetails({ masks: 500 }, { grid: [7, 7], forwardPasses: 500 }); // { masks: 500, grid: [7, 7], forwardPasses: 500 }
 * ```
 */
export function withDetails(
  settings: Readonly<Record<string, SettingValue>>,
  details: Readonly<Record<string, unknown>> | undefined,
): Record<string, SettingValue> {
  const out: Record<string, SettingValue> = { ...settings };
  for (const [k, v] of Object.entries(details ?? {})) {
    const plain = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
    const numbers = Array.isArray(v) && v.every((x) => typeof x === 'number');
    if ((plain || numbers) && !(k in out)) out[k] = v as SettingValue;
  }
  return out;
}

/** A completeness error above this fraction of the target's score is flagged in the report. */
export const CONVERGENCE_TOLERANCE = 0.05;

/**
 * How far a path method's attributions are from adding up to the score difference (its
 * convergence delta) relative to the explained score, flagged above {@link CONVERGENCE_TOLERANCE}
 * with what to change. The report shows the flag; it is part of the report data.
 *
 * @example
 * ```ts
 * convergenceCheck('integrated-gradients', 2.0, 4.2, { steps: 64, integration: 'riemann-middle' });
 * // { delta: 2, score: 4.2, relative: 0.476…, flagged: true, advice: 'Raise --steps (now 64) …' }
 * ```
 */
export function convergenceCheck(method: string, delta: number, score: number, settings: Readonly<Record<string, unknown>>): ConvergenceCheck {
  const relative = Math.abs(delta) / Math.max(Math.abs(score), 1e-12);
  const flagged = !(relative <= CONVERGENCE_TOLERANCE);
  if (!flagged) return { delta, score, relative, flagged };
  const advice =
    method === 'integrated-gradients'
      ? `Raise --steps (now ${String(settings.steps)})${settings.integration === 'gauss-legendre' ? '' : ' or use --integration gauss-legendre'}`
      : 'The attributions do not add up to the score difference from the baseline: check the baseline and the model’s nonlinearities';
  return { delta, score, relative, flagged, advice };
}
