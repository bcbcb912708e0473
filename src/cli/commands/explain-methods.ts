/**
 * How `lucerna explain` runs each method: the options it passes (every default made explicit so
 * the report can state it), and how the raw map is shown (sign, channel reduction, range floor).
 */
import { getMethod, methodNames } from '../../attribution/methods.js';
import type { OptionDefault } from '../../attribution/options.js';
import { type AttributionMethod, type CommonOptions, type MapDisplay, mapDisplay } from '../../attribution/types.js';
import { LucernaError } from '../../errors.js';
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

/** How the channels of an input-shaped map are combined into one plane (the descriptor's `display`). */
export type Reduction = MapDisplay['reduction'];

/** What a recipe needs to know about the run. */
export interface RecipeContext {
  /** The validated CAM layer, when a layer method runs. */
  readonly layer?: string;
  /** The model input for one image, [1, C, H, W]. */
  readonly inputShape: readonly number[];
  /** Whether the model output holds logits or probabilities. */
  readonly outputKind: 'logits' | 'probabilities';
  readonly params: MethodParams;
  /**
   * Per method, the options its own flags set beyond explain's presets (e.g. `--baseline blur`,
   * `--segments 30`); they win over the presets and are shown in the settings.
   */
  readonly overrides?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
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
  const preset = presetFor(name, ctx);
  const given = ctx.overrides?.[name] ?? {};
  const options = { ...preset.options, ...given };
  const settings = { ...preset.settings, ...settingValues(given) };
  const display = mapDisplay(getMethod(name), options);
  return {
    options,
    settings,
    sign: display.sign,
    reduction: display.reduction,
    ...(display.floor ? { floor: display.floor } : {}),
    ...(display.shareAcrossTargets === false ? { shareAcrossTargets: false } : {}),
  };
}

/** Given options as report settings: plain values as they are, anything else (a tensor) named. */
function settingValues(given: Readonly<Record<string, unknown>>): Record<string, SettingValue> {
  const plain = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  return Object.fromEntries(
    Object.entries(given).map(([k, v]) => [k, plain(v) || (Array.isArray(v) && v.every((x) => typeof x === 'number')) ? (v as SettingValue) : 'from a file']),
  );
}

/** What explain runs a method with, before the user's own method flags. */
interface Preset {
  readonly options: Readonly<Record<string, unknown>>;
  readonly settings: Readonly<Record<string, SettingValue>>;
}

function presetFor(name: string, ctx: RecipeContext): Preset {
  const p = ctx.params;
  const batch = { batchSize: p.batchSize };
  const common = { score: scoreSetting(ctx), 'batch size': p.batchSize };
  const [, channels, height, width] = ctx.inputShape as [number, number, number, number];
  if (getMethod(name).output === 'layer-map') {
    return {
      options: { ...batch, layer: ctx.layer, relu: true, upsample: 'bilinear' },
      settings: { ...common, layer: ctx.layer ?? '', relu: true, upsampling: `bilinear to ${height}×${width}` },
    };
  }
  switch (name) {
    case 'guided-grad-cam':
      return {
        options: { ...batch, layer: ctx.layer },
        settings: { ...common, layer: ctx.layer ?? '', 'Grad-CAM factor': 'ReLU, bilinear upsampling', backprop: 'guided' },
      };
    case 'integrated-gradients':
      return {
        options: { ...batch, steps: p.steps, integration: p.integration, baseline: 'zeros' },
        settings: { ...common, steps: p.steps, integration: p.integration, baseline: 'zeros' },
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
      };
    case 'occlusion': {
      const { window, stride } = occlusionGeometry(p, height, width);
      return {
        options: { ...batch, window: [channels, window, window], strides: [channels, stride, stride], baseline: 'zeros' },
        settings: { ...common, window: [channels, window, window], strides: [channels, stride, stride], baseline: 'zeros' },
      };
    }
    case 'rise':
      return {
        options: { ...batch, masks: p.masks, keep: 0.5, seed: p.seed, score: ctx.outputKind === 'logits' ? 'probability' : 'logit' },
        settings: { ...common, score: scoreSetting(ctx, true), masks: p.masks, keep: 0.5, seed: p.seed },
      };
    case 'saliency':
      return { options: { ...batch, abs: true }, settings: { ...common, abs: true } };
    case 'guided-backprop':
    case 'deconvnet':
      return { options: batch, settings: common };
    case 'deeplift':
      return { options: { ...batch, baseline: 'zeros' }, settings: { ...common, baseline: 'zeros' } };
    default:
      return { options: batch, settings: common };
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

/**
 * Explain's quick-run defaults where they differ from the methods' own (so the default report
 * takes well under 20 s on 2 cores); the flags' help shows these.
 *
 * @example `EXPLAIN_PRESETS['integrated-gradients']?.steps; // 64`
 */
export const EXPLAIN_PRESETS: Readonly<Record<string, Readonly<Record<string, OptionDefault>>>> = {
  'integrated-gradients': { steps: 64 },
  smoothgrad: { stdev: 0.15 },
  'smoothgrad-sq': { stdev: 0.15 },
  vargrad: { stdev: 0.15 },
  occlusion: { window: { text: 'a seventh of the image side' }, strides: { text: 'half the window' } },
  rise: { masks: 500 },
};

/**
 * Option keys explain sets from its own parsed flags (`MethodParams`: one number in pixels for the
 * occlusion window and stride), never from a method's parser. The other quick-run flags (`--steps`,
 * `--samples`, …) parse to the same values both ways, so they reach every method that takes them.
 */
const PARAM_KEYS = new Set(['window', 'strides']);
const PARAM_FLAGS = new Set(['--steps', '--integration', '--samples', '--stdev', '--window', '--stride', '--masks', '--seed']);

/**
 * The method options the user's method flags set, per method run: each registry flag is parsed by
 * every chosen method that declares it; a flag that none of them declares is a `BAD_OPTION`
 * (except explain's quick-run flags such as `--steps`, which it always took for any method set).
 *
 * @example
 * ```ts
 * await methodOverrides(['integrated-gradients', 'rise'], { baseline: 'blur' }); // { 'integrated-gradients': { baseline: 'blur' }, rise: {} }
 * ```
 */
export async function methodOverrides(methods: readonly string[], flags: Readonly<Record<string, unknown>>): Promise<Record<string, Record<string, unknown>>> {
  const { buildMethodOptions, methodFlagSpecs } = await import('./attribute-options.js');
  const { Option } = await import('commander');
  const chosen = methods.map((m) => getMethod(m));
  for (const spec of methodFlagSpecs({ exclude: EXPLAIN_OWN_FLAGS })) {
    const option = new Option(spec.flags);
    // explain's own run flags (--steps, --samples, …) may name methods not run, as they always could.
    if (flags[option.attributeName()] === undefined || PARAM_FLAGS.has(option.long ?? '')) continue;
    if (!chosen.some((m) => m.options.some((o) => o.flag === spec.flags)))
      throw new LucernaError(
        'BAD_OPTION',
        `${option.long} applies to none of the methods run (${methods.join(', ')})`,
        `Add a method that takes it to --methods`,
      );
  }
  const out: Record<string, Record<string, unknown>> = {};
  for (const m of chosen) {
    const given = await buildMethodOptions(m, flags, true);
    out[m.name] = Object.fromEntries(Object.entries(given).filter(([k]) => !PARAM_KEYS.has(k)));
  }
  return out;
}

/** Registry flags that explain declares itself, with its own meaning. */
export const EXPLAIN_OWN_FLAGS: readonly string[] = ['--layer'];
