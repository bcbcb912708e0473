/**
 * The data of an explanation report: plain, serialisable values only. The HTML page is rendered
 * from it (`html.ts`), and `lucerna explain --json` prints it (without the images).
 */
import type { ModelSummary } from '../../onnx/inspect.js';
import type { OverlayMode } from '../overlay.js';
import type { DisplayRange, Sign } from '../scale.js';
import type { ReportWarning } from './callout.js';

/** A setting value as shown in the report. */
export type SettingValue = string | number | boolean | readonly number[];

/** One class of the model's output, with its score. */
export interface Prediction {
  /** Class index in the model's output. */
  readonly index: number;
  readonly label: string;
  /** Probability (the softmax of the logits, or the output itself when it already holds probabilities). */
  readonly probability: number;
  /** The raw output value (the logit, or the probability). */
  readonly score: number;
}

/** An inlined PNG. */
export interface InlineImage {
  /** `data:image/png;base64,…` */
  readonly png: string;
  readonly width: number;
  readonly height: number;
}

/** The map of one method for one target class. */
export interface MapCell {
  /** The class explained. */
  readonly target: Prediction;
  readonly image: InlineImage;
  /** The real values at the ends of the colour scale, and how they were found. */
  readonly range: DisplayRange;
  readonly colormap?: string;
  /** Fraction of pixels outside the range (drawn at the end colours). */
  readonly clipped: number;
  /** Statistics of the displayed map's values before scaling. */
  readonly stats: { readonly min: number; readonly max: number; readonly sum: number };
  /** Completeness error Σ attribution − (f(x) − f(baseline)), for path methods. */
  readonly delta?: number;
  /** The delta relative to the explained score, flagged when above 5%, with what to change. */
  readonly convergence?: ConvergenceCheck;
  /** `masked` mode: the value a pixel needed to be kept and the fraction kept. */
  readonly mask?: { readonly threshold: number; readonly kept: number };
}

/** A path method's convergence: its delta against the explained score (logit or probability). */
export interface ConvergenceCheck {
  readonly delta: number;
  readonly score: number;
  /** |delta| / |score|. */
  readonly relative: number;
  /** True when `relative` is above 5%: the map should not be trusted as is. */
  readonly flagged: boolean;
  /** What to change when flagged, e.g. `Raise --steps (now 64)`. */
  readonly advice?: string;
}

/** How a method's maps were turned into pictures. */
export interface DisplaySettings {
  readonly mode: OverlayMode;
  readonly sign: Sign;
  /** How the channels of an input-shaped map were combined (`sum`, `abs-sum`, `mean`), or `none`. */
  readonly reduction: string;
  /** Upsampling of a layer-resolution map to the input, e.g. `bilinear 7×7 → 224×224`, if any. */
  readonly upsampling?: string;
  /** True when one range is shared by all targets of the method, so their magnitudes compare. */
  readonly sharedAcrossTargets: boolean;
}

/** One method's row of the grid. */
export interface MethodReport {
  readonly name: string;
  readonly description: string;
  readonly kind: string;
  /** Every parameter the method ran with. */
  readonly settings: Readonly<Record<string, SettingValue>>;
  readonly display: DisplaySettings;
  /** Wall time of the method for this image (all targets), in ms, compile time included. */
  readonly timeMs: number;
  /** One cell per target, in the order of {@link ImageReport.targets}. */
  readonly cells: readonly MapCell[];
  /**
   * Problems a reader must see, drawn as callouts above the grid: e.g. Integrated Gradients'
   * convergence delta above 5 % of the logit, with what to change in the hint.
   */
  readonly warnings?: readonly ReportWarning[];
}

/** Everything shown for one input image. */
export interface ImageReport {
  /** The file as given on the command line. */
  readonly file: string;
  /** Size of the decoded file, before preprocessing. */
  readonly original: { readonly width: number; readonly height: number };
  /** The image as the model sees it (resized, cropped). */
  readonly input: InlineImage;
  /** The top-k predictions, best first. */
  readonly predictions: readonly Prediction[];
  /** The classes explained: the grid's columns. */
  readonly targets: readonly Prediction[];
  /** The grid's rows. */
  readonly methods: readonly MethodReport[];
}

/** The model: where it came from, what it outputs, how its inputs are made. */
export interface ReportModel {
  /** The model as named by the user, or a description of the bundled one. */
  readonly name: string;
  /** `bundled`, `onnx` or `tfjs` (converted from a TF.js LayersModel for this run). */
  readonly source: 'bundled' | 'onnx' | 'tfjs';
  readonly summary: ModelSummary;
  /** The output read, and whether it holds logits or probabilities. */
  readonly output: { readonly name: string; readonly kind: 'logits' | 'probabilities' };
  /** The preprocessing of images, every setting resolved. */
  readonly preprocessing: Readonly<Record<string, SettingValue>>;
  readonly labels: readonly string[];
  /** The layer CAM methods read, and whether it was chosen automatically. */
  readonly layer?: { readonly name: string; readonly shape: readonly number[]; readonly chosen: 'default' | 'given' };
}

/** A whole report. */
export interface ReportData {
  readonly title: string;
  /** ISO time of the run. */
  readonly generated: string;
  readonly lucernaVersion: string;
  readonly model: ReportModel;
  readonly images: readonly ImageReport[];
  /** Wall time of the whole run in ms. */
  readonly totalMs: number;
  /** Notes on how to read the report (how scores, probabilities and scales were found). */
  readonly notes: readonly string[];
  /** Warnings about the whole run, drawn as callouts in the header. */
  readonly warnings?: readonly ReportWarning[];
}

/**
 * The report's data without the inlined images (what `--json` prints).
 *
 * @example
 * ```ts
 * process.stdout.write(JSON.stringify(withoutImages(report), null, 2));
 * ```
 */
export function withoutImages<T>(data: T): T {
  return JSON.parse(JSON.stringify(data, (key, value) => (key === 'png' ? undefined : value))) as T;
}
