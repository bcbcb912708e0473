/**
 * Types of active question-answering part learning (Zhang, Cao, Wu & Zhu 2017, "Mining Object
 * Parts from CNNs via Active Question-Answering", CVPR, https://arxiv.org/abs/1704.03173), adapted
 * to the explanatory graph (https://arxiv.org/abs/1708.01785).
 *
 * Two pixel frames appear:
 * - **image pixels**: the picture the user sees and clicks, like `landmarks.csv`. Every answer and
 *   every guess a session hands out is in image pixels.
 * - **model pixels**: the model input the units (graph nodes or filters) are placed in. An image's
 *   `scale` and `offset` map image pixels to model pixels, `model = image × scale − offset`
 *   (default `[1, 1]` and `[0, 0]`; a centre crop has an offset, see `frame.ts`).
 */
import type { UnitPositions } from '../graph/locate.js';

/** A point `[x, y]`. */
export type Point = readonly [number, number];

/**
 * The user's answer to "is the part here?":
 * - `yes`: the guess is right; it is kept as the part's position.
 * - `here`: "no, it is here", a click at (x, y) in image pixels.
 * - `absent`: the part is not visible in this image.
 */
export type QaAnswer = { readonly kind: 'yes' } | { readonly kind: 'here'; readonly x: number; readonly y: number } | { readonly kind: 'absent' };

/** One image a session may ask about: an id and where every unit sits on it. */
export interface QaImage {
  /** The image's id (a file name, the `image` column of `index.csv`); unique within a session. */
  readonly id: string;
  /** Every unit's position on this image, model pixels; a unit fired where `value` > 0. */
  readonly units: UnitPositions;
  /** Image pixels → model pixels, `[sx, sy]` (default `[1, 1]`). */
  readonly scale?: Point;
  /** Subtracted after scaling, model px: the crop's top-left corner (default `[0, 0]`). */
  readonly offset?: Point;
}

/** How the next question is chosen. */
export type QaSelection = 'active' | 'random';

/** Options of a session; every field has a default. */
export interface QaOptions {
  /** The part's name, for display (default `'part'`). */
  readonly part?: string;
  /** Model input `[height, width]`: normalises distances and uncertainty by its diagonal. */
  readonly inputSize: Point;
  /** `active` (default): ask where the part model is least certain; `random`: a seeded uniform draw. */
  readonly selection?: QaSelection;
  /** Seed of the random selection (default 0). */
  readonly seed?: number;
  /** Units kept in the part model, its committee (default 10). */
  readonly committee?: number;
  /**
   * Prior variance (model px², a 2-D mean squared distance) of a unit's prediction before any
   * evidence; default (0.1 × input diagonal)². Also the fallback's floor.
   */
  readonly priorVariance?: number;
  /** Weight, in pseudo-annotations, of that prior (default 1). */
  readonly priorWeight?: number;
}

/** One unit of the part model. */
export interface PartUnit {
  /** The unit's index: a node id for graph units, a flat filter index (layer-major) for raw filters. */
  readonly unit: number;
  /** Mean offset from the unit's position to the part, model px. */
  readonly offset: Point;
  /** Posterior variance of its prediction, model px² (2-D mean squared distance). */
  readonly variance: number;
  /** How often it fired on the annotated images where the part is visible (Laplace-smoothed). */
  readonly coverage: number;
  /** Its share of the committee's vote (the weights sum to 1). */
  readonly weight: number;
  /** Annotated visible images on which it fired. */
  readonly support: number;
}

/** The part model: the committee of units that predict the part, and a fallback. */
export interface PartModel {
  readonly units: readonly PartUnit[];
  /** Mean annotated position (model px): the guess when no committee unit fired. */
  readonly fallback: Point;
  /** Variance of the annotated positions around it (model px², with the prior). */
  readonly fallbackVariance: number;
  /** Annotated images where the part is visible, and where it is not. */
  readonly visible: number;
  readonly absent: number;
}

/** Where a part model puts the part on one image, and how sure it is. */
export interface PartGuess {
  /** The guess, model px. */
  readonly model: Point;
  /** The committee's disagreement, Σ over fired units of π_u ‖p̂_u − g‖², model px² (see `part-model.ts`). */
  readonly spread: number;
  /** √spread over the input diagonal: the normalised uncertainty. */
  readonly uncertainty: number;
  /** Committee units that fired on this image. */
  readonly fired: number;
}

/** A question: the image, the guess in image pixels, and why it was asked. */
export interface QaQuestion {
  readonly image: string;
  /** Index of the image in the session's list. */
  readonly index: number;
  /** The guess, image pixels. */
  readonly guess: Point;
  /** Normalised uncertainty of the guess (the selection criterion in `active` mode). */
  readonly uncertainty: number;
  /** Questions answered before this one (the initial clicks not counted). */
  readonly number: number;
}

/** An answered question or an initial click, as the session records it. */
export interface QaRecord {
  readonly image: string;
  readonly answer: QaAnswer;
  /** The part's position the answer implies (model px), or null when absent. */
  readonly part: Point | null;
  /** The guess shown (image px) when it answered a question; null for an unprompted click. */
  readonly guess: Point | null;
}
