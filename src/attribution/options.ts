/**
 * The options schema of attribution methods: each option a method takes is declared once, with
 * the key of its options object, its CLI flag, its value type (which picks the parser) and its
 * help text. A method lists the options it takes in its descriptor (`AttributionMethod.options`);
 * the CLI builds `lucerna attribute`'s flags and help from the union over the registry, parses only
 * the flags a method declares, and refuses the others, so no flag is ever silently ignored.
 *
 * Options every method takes (`target`, `batchSize`, `signal`, `onProgress`) are not listed here.
 */

/** How a value is written on the command line. */
export type OptionType =
  /** An integer ≥ `min`. */
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
  /** Allowed words for `choice`. */
  readonly choices?: readonly string[];
  /** What a `switch` sets (default `true`). */
  readonly value?: unknown;
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
  layer: { key: 'layer', flag: '--layer <name>', type: 'text', help: 'layer tensor or node name (default: the last 4-D activation before pooling)' },
  relu: { key: 'relu', flag: '--relu', type: 'switch', help: 'ReLU of the layer map (the paper’s map)' },
  upsample: { key: 'upsample', flag: '--upsample', type: 'switch', value: 'bilinear', help: 'upsample the layer map to the input size (bilinear)' },
  steps: { key: 'steps', flag: '--steps <n>', type: 'integer', min: 1, help: 'integration or optimisation steps' },
  integration: {
    key: 'integration',
    flag: '--integration <rule>',
    type: 'choice',
    choices: ['riemann-left', 'riemann-right', 'riemann-middle', 'riemann-trapezoid', 'gauss-legendre'],
    help: 'integration rule (default gauss-legendre)',
  },
  baseline: { key: 'baseline', flag: '--baseline <spec>', type: 'baseline', help: 'zeros, blur, uniform, a number, or a .npy file' },
  samples: { key: 'samples', flag: '--samples <n>', type: 'integer', min: 1, help: 'samples (noisy copies, or perturbed sets for lime and kernel-shap)' },
  stdev: { key: 'stdev', flag: '--stdev <x>', type: 'number', min: 0, help: 'noise standard deviation' },
  noise: { key: 'noise', flag: '--noise <file>', type: 'tensor-file', help: 'exact noise [samples, C, H, W] as .npy' },
  seed: { key: 'seed', flag: '--seed <n>', type: 'integer', min: 0, help: 'random seed' },
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
  masks: { key: 'masks', flag: '--masks <n>', type: 'integer', min: 1, help: 'number of random masks' },
  cell: { key: 'cell', flag: '--cell <n>', type: 'integer', min: 1, help: 'mask cell size in pixels' },
  keep: { key: 'keep', flag: '--keep <p>', type: 'probability', help: 'probability of keeping a cell' },
  center: { key: 'center', flag: '--center', type: 'switch', help: 'subtract the mean masked score, so pixels the score ignores get 0' },
  segments: { key: 'segments', flag: '--segments <n>', type: 'integer', min: 1, help: 'number of superpixels' },
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
 * The options of the superpixel-sampling methods (LIME, KernelSHAP).
 *
 * @example
 * ```ts
 * const kernelShap = { …, options: SUPERPIXEL_OPTIONS };
 * ```
 */
export const SUPERPIXEL_OPTIONS: readonly MethodOption[] = [OPTIONS.segments, OPTIONS.samples, OPTIONS.seed, OPTIONS.featureMask, OPTIONS.baseline];
