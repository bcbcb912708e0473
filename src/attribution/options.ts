/**
 * The options schema of attribution methods: each option a method takes is declared once, with
 * the key of its options object, its CLI flag, its value type (which picks the parser) and its
 * help text. A method lists the options it takes in its descriptor (`AttributionMethod.options`);
 * the CLI builds `lucerna attribute`'s flags and help from the union over the registry, parses only
 * the flags a method declares, and refuses the others, so no flag is ever silently ignored.
 *
 * Options every method takes (`target`, `batchSize`, `signal`, `onProgress`) are not listed here.
 *
 * Defaults are declared once per method, as a plain object the implementation reads
 * (`options.steps ?? IG_DEFAULTS.steps`) and {@link withDefaults} attaches to the option list, so
 * the help text, the docs table and the run use the same value.
 */

import type { MapDisplay } from './types.js';

/** How a value is written on the command line. */
export type OptionType =
  /** An integer ≥ `min` (and ≤ `max`). */
  | 'integer'
  /** A finite number ≥ `min`. */
  | 'number'
  /** A probability in (0, 1]. */
  | 'probability'
  /** Positive integers separated by commas, e.g. `3,8,8`. */
  | 'integers'
  /** One of `choices`. */
  | 'choice'
  /** A switch without value; sets `value` (default `true`). */
  | 'switch'
  /** `zeros`, `blur`, `uniform`, a number, or a `.npy` file. */
  | 'baseline'
  /** A float `.npy` file. */
  | 'tensor-file'
  /** An integer `.npy` file of segment ids. */
  | 'segments-file'
  /** Any text (e.g. a layer name). */
  | 'text';

/** One option a method takes. */
export interface MethodOption {
  /** The key in the method's options object, e.g. `strides`. */
  readonly key: string;
  /** The CLI flag with its value placeholder, e.g. `--stride <c,h,w>`. */
  readonly flag: string;
  readonly type: OptionType;
  /** One line of help, with the default. */
  readonly help: string;
  /** Lower bound for `integer` and `number`. */
  readonly min?: number;
  /**
   * Upper bound for `integer`: every count declares one, so a typo such as `--steps 1e9` is refused
   * at once instead of running for days (the conformance suite checks each integer option has it).
   */
  readonly max?: number;
  /** Allowed words for `choice`. */
  readonly choices?: readonly string[];
  /** What a `switch` sets (default `true`). */
  readonly value?: unknown;
  /** The value used when the option is not given (see {@link withDefaults}). */
  readonly default?: OptionDefault;
}

/**
 * A declared default: a value of the option's type, or `{ text }` when it depends on the input
 * (e.g. "a seventh of the image side").
 */
export type OptionDefault = string | number | boolean | readonly number[] | { readonly text: string };

/**
 * The options with their defaults attached by key: what a descriptor lists. Keys of `defaults`
 * that name no option are an error (a typo would otherwise go unseen).
 *
 * @example
 * ```ts
 * const IG_DEFAULTS = { steps: 50, integration: 'gauss-legendre', baseline: 'zeros' } as const;
 * const options = withDefaults([OPTIONS.steps, OPTIONS.integration, OPTIONS.baseline], IG_DEFAULTS);
 * options[0].default; // 50
 * ```
 */
export function withDefaults(options: readonly MethodOption[], defaults: Readonly<Record<string, OptionDefault>>): MethodOption[] {
  for (const key of Object.keys(defaults)) if (!options.some((o) => o.key === key)) throw new Error(`withDefaults: no option has the key "${key}"`);
  return options.map((o) => (o.key in defaults ? { ...o, default: defaults[o.key] } : o));
}

/**
 * A default as the help text and the docs table write it.
 *
 * @example
 * ```ts
 * formatDefault([3, 8, 8]); // '3,8,8'
 * formatDefault({ text: 'half the window' }); // 'half the window'
 * ```
 */
export function formatDefault(value: OptionDefault): string {
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object') return (value as { text: string }).text;
  return String(value);
}

/**
 * One option's help line with its default, e.g. `integration or optimisation steps (default 50)`.
 *
 * @example
 * ```ts
 * optionHelp({ ...OPTIONS.steps, default: 50 }); // 'integration or optimisation steps (default 50)'
 * ```
 */
export function optionHelp(option: MethodOption): string {
  return option.default === undefined ? option.help : `${option.help} (default ${formatDefault(option.default)})`;
}

/**
 * The options methods share, declared once. A method's descriptor lists the ones it takes.
 *
 * @example
 * ```ts
 * const options = [OPTIONS.steps, OPTIONS.integration, OPTIONS.baseline];
 * ```
 */
export const OPTIONS = {
  layer: {
    key: 'layer',
    flag: '--layer <name>',
    type: 'text',
    help: 'layer tensor or node name',
    default: { text: 'the last 4-D activation before pooling' },
  },
  relu: { key: 'relu', flag: '--relu', type: 'switch', help: 'ReLU of the layer map (the paper’s map)' },
  upsample: { key: 'upsample', flag: '--upsample', type: 'switch', value: 'bilinear', help: 'upsample the layer map to the input size (bilinear)' },
  steps: { key: 'steps', flag: '--steps <n>', type: 'integer', min: 1, max: 100_000, help: 'integration or optimisation steps' },
  integration: {
    key: 'integration',
    flag: '--integration <rule>',
    type: 'choice',
    choices: ['riemann-left', 'riemann-right', 'riemann-middle', 'riemann-trapezoid', 'gauss-legendre'],
    help: 'integration rule',
  },
  baseline: { key: 'baseline', flag: '--baseline <spec>', type: 'baseline', help: 'zeros, blur, uniform, a number, or a .npy file' },
  samples: {
    key: 'samples',
    flag: '--samples <n>',
    type: 'integer',
    min: 1,
    max: 100_000,
    help: 'samples (noisy copies, or perturbed sets for lime and kernel-shap)',
  },
  stdev: { key: 'stdev', flag: '--stdev <x>', type: 'number', min: 0, help: 'noise standard deviation' },
  noise: { key: 'noise', flag: '--noise <file>', type: 'tensor-file', help: 'exact noise [samples, C, H, W] as .npy' },
  seed: { key: 'seed', flag: '--seed <n>', type: 'integer', min: 0, max: 2 ** 32 - 1, help: 'random seed' },
  abs: { key: 'abs', flag: '--abs', type: 'switch', help: 'absolute values (taken inside the method where it changes the computation)' },
  window: { key: 'window', flag: '--window <c,h,w>', type: 'integers', help: 'occlusion window per dimension' },
  strides: { key: 'strides', flag: '--stride <c,h,w>', type: 'integers', help: 'occlusion stride per dimension' },
  fullPasses: {
    key: 'incremental',
    flag: '--full-passes',
    type: 'switch',
    value: false,
    help: 'run every perturbation through the whole model (no incremental inference)',
  },
  featureMask: {
    key: 'featureMask',
    flag: '--feature-mask <file.npy>',
    type: 'segments-file',
    help: 'integer segment ids ([1,1,H,W] shared by channels, or [1,C,H,W])',
  },
  masks: { key: 'masks', flag: '--masks <n>', type: 'integer', min: 1, max: 1_000_000, help: 'number of random masks' },
  cell: { key: 'cell', flag: '--cell <n>', type: 'integer', min: 1, max: 4096, help: 'mask cell size in pixels' },
  keep: { key: 'keep', flag: '--keep <p>', type: 'probability', help: 'probability of keeping a cell' },
  center: { key: 'center', flag: '--center', type: 'switch', help: 'subtract the mean masked score, so pixels the score ignores get 0' },
  segments: { key: 'segments', flag: '--segments <n>', type: 'integer', min: 1, max: 100_000, help: 'number of superpixels' },
  estimator: {
    key: 'estimator',
    flag: '--estimator <name>',
    type: 'choice',
    choices: ['permutation', 'control-variate', 'regression'],
    help: 'Shapley estimator: antithetic permutation walks, the same walks with a connected-triple control variate, or the kernel regression',
  },
  sampling: {
    key: 'sampling',
    flag: '--sampling <design>',
    type: 'choice',
    choices: ['balanced', 'paired', 'independent'],
    help: 'LIME coalitions: folded randomised orthogonal arrays, complementary pairs, or independent fair coins (the lime package); each row is fair coins',
  },
} as const satisfies Record<string, MethodOption>;

/**
 * The options of the CAM family (and of Score-CAM and Ablation-CAM): a layer, its map's ReLU, and
 * upsampling to the input size. Every method whose `output` is `layer-map` takes all three.
 *
 * @example
 * ```ts
 * const camMethod = { …, output: 'layer-map', options: LAYER_MAP_OPTIONS };
 * ```
 */
export const LAYER_MAP_OPTIONS: readonly MethodOption[] = [OPTIONS.layer, OPTIONS.relu, OPTIONS.upsample];

/**
 * How a layer map is drawn: signed (a CAM before its ReLU can be negative), one channel. With
 * `relu` it is one-sided (see `mapDisplay`).
 *
 * @example
 * ```ts
 * const camMethod = { …, output: 'layer-map', display: LAYER_MAP_DISPLAY };
 * ```
 */
export const LAYER_MAP_DISPLAY: MapDisplay = { sign: 'all', reduction: 'none' };

/**
 * The options of the superpixel-sampling methods (LIME, KernelSHAP).
 *
 * @example
 * ```ts
 * const kernelShap = { …, options: SUPERPIXEL_OPTIONS };
 * ```
 */
export const SUPERPIXEL_OPTIONS: readonly MethodOption[] = [OPTIONS.segments, OPTIONS.samples, OPTIONS.seed, OPTIONS.featureMask, OPTIONS.baseline];
