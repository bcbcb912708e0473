/**
 * The shared interface of every attribution method: one verb, `attribute(model, input, options)`,
 * returning raw attributions. Post-processing (abs, ReLU, normalisation, upsampling) is separate.
 */
import type { Model } from '../engine/model.js';
import type { Tensor } from '../tensor/tensor.js';
import type { MethodOption } from './options.js';

/** Which class each sample is explained for. */
export type TargetSpec =
  /** One class index for every sample. */
  | number
  /** One class index per sample. */
  | readonly number[]
  /** The predicted class of each sample (default). */
  | 'argmax';

/** How the explained score is read from the model. */
export interface ScoreOptions {
  /** Target class(es). Default: `argmax`. */
  readonly target?: TargetSpec;
  /** `logit` (default) or `probability` (the softmax of the output). */
  readonly score?: 'logit' | 'probability';
  /** Which model output holds the class scores (default: the first). */
  readonly output?: string;
}

/** Options every method accepts. */
export interface CommonOptions extends ScoreOptions {
  /** Internal batch size: how many rows go through the engine at once (bounds memory). */
  readonly batchSize?: number;
  /** Cancels a long run. */
  readonly signal?: AbortSignal;
  /** Called with (done, total) units of work. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * What a method returns: the raw attribution plus what it was computed for.
 */
export interface AttributionResult {
  /** The raw attribution: the input's shape, or [N, 1, h, w] at layer resolution for CAM methods. */
  readonly attribution: Tensor;
  /** The class explained for each sample. */
  readonly targets: readonly number[];
  /** The explained score of each sample (logit or probability). */
  readonly scores: readonly number[];
  /** Completeness error per sample (Σ attribution − (f(x) − f(baseline))), for path methods. */
  readonly delta?: readonly number[];
  /** Method-specific extras (e.g. the layer used). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** What a method needs from the model. */
export type MethodKind = 'gradient' | 'layer' | 'perturbation';

/** What a method needs to run. */
export interface MethodNeeds {
  /** Gradients through the model (a compiled backward graph); false: forward passes only. */
  readonly gradients: boolean;
  /** An inner layer (`layer` option, with a default). */
  readonly layer: boolean;
  /** A reference input (`baseline` option, with a default). */
  readonly baseline: boolean;
}

/**
 * One attribution method.
 *
 * @example
 * ```ts
 * const { attribution } = await saliency.attribute(model, x, { target: 3 });
 * ```
 */
export interface AttributionMethod<O extends CommonOptions = CommonOptions> {
  /** The CLI name, e.g. `integrated-gradients`. */
  readonly name: string;
  readonly kind: MethodKind;
  /** One-line description with the paper. */
  readonly description: string;
  /**
   * `layer-map`: the raw map is [N, 1, h, w] at a layer's resolution, and the method itself takes
   * `relu` and `upsample` (the CAM family, Score-CAM and Ablation-CAM included). Default `input`.
   */
  readonly output?: 'input' | 'layer-map';
  /** The method takes `abs` itself, because |·| changes its computation (mean of |g| ≠ |mean of g|). */
  readonly absAware?: boolean;
  /** What it needs: gradients, a layer, a baseline. */
  readonly needs: MethodNeeds;
  /** Every option it takes besides the common ones (see `options.ts`); the CLI refuses the others. */
  readonly options: readonly MethodOption[];
  attribute(model: Model, input: Tensor, options?: O): Promise<AttributionResult>;
}
