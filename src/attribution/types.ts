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
 * How a method's map is drawn (Sec. 2 of the survey: saliency-style maps are read by sign and
 * magnitude): which values the colour map shows, how the channels of an input-shaped map become
 * one plane, and how the range is clipped. Post-processing the method itself does (`abs`, `relu`)
 * is taken into account by {@link mapDisplay}.
 */
export interface MapDisplay {
  /**
   * `all`: signed, on a diverging colour map centred at 0; `positive`: the positive part on a
   * sequential colour map (negatives shown as 0); `absolute`: |map| on a sequential colour map.
   */
  readonly sign: 'all' | 'positive' | 'absolute';
  /** Channels → one plane: `sum`, `abs-sum` (Σ|·|), `mean`, or `none` (the map has one channel). */
  readonly reduction: 'sum' | 'abs-sum' | 'mean' | 'none';
  /**
   * The bottom of a one-sided range: `zero` (default) or `percentile` (the 1st percentile, for
   * maps with an offset such as RISE's). The top is always a high percentile (outliers clipped).
   */
  readonly floor?: 'zero' | 'percentile';
  /** Whether maps of several targets may share one range (default true). */
  readonly shareAcrossTargets?: boolean;
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
  /** How its raw map is drawn. */
  readonly display: MapDisplay;
  attribute(model: Model, input: Tensor, options?: O): Promise<AttributionResult>;
}

/**
 * How a method's map is drawn for the options it ran with: a map made non-negative by the
 * method's own `abs` or `relu` is one-sided (`positive`); otherwise the descriptor's display.
 *
 * @example
 * ```ts
 * mapDisplay(saliency, { abs: true }).sign; // 'positive'
 * mapDisplay(saliency, {}).sign; // 'all'
 * ```
 */
export function mapDisplay(method: Pick<AttributionMethod, 'display' | 'options'>, options: Readonly<Record<string, unknown>>): MapDisplay {
  const takes = (key: string) => method.options.some((o) => o.key === key);
  const nonNegative = (takes('abs') && options.abs === true) || (takes('relu') && options.relu === true);
  return nonNegative && method.display.sign === 'all' ? { ...method.display, sign: 'positive' } : method.display;
}
