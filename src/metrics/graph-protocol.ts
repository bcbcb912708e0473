/**
 * Location instability by the explanatory-graph paper's protocol (Zhang, Cao, Shi, Wu & Zhu 2018,
 * "Interpreting CNN Knowledge via an Explanatory Graph", AAAI, https://arxiv.org/abs/1708.01785,
 * Table 1; read in the authors' MATLAB evaluation, `computeStability.m`, `computeStability_raw.m`
 * and `getDistSqrtVar.m` in github.com/zqs1022/explanatoryGraph). Graph nodes and raw filters are
 * measured by the same rule; only what "score" and "position" mean differs:
 * - a **filter**'s score on an image is its map's maximum and its position that maximum's place;
 * - a **node**'s score is its inference score and its position the one the graph infers for it
 *   (`nodeScores` in `src/disentangle/graph/infer.ts`).
 *
 * The rule, per layer:
 * 1. **Top-ranked units.** Each unit is ranked by the mean of its `topImages` largest scores over
 *    the images; the first `topUnits` are measured (the authors' CUB-200 script: 20 images, 167
 *    units per layer of VGG-16's 512-filter layers, the same number for nodes and filters).
 * 2. **Only the unit's top images.** A unit counts on its `topImages` images of largest score
 *    (ties keep the image order), so a node is measured where it is inferred most confidently,
 *    a filter where it fires most strongly. Ours also drops images where the score is 0 (a node
 *    that did not fire there has no position; the authors' inference always places a node).
 * 3. **Per landmark**, over those of the unit's images that have the landmark, the normalised
 *    distance d = ‖p − l‖ / √(W² + H²) (W × H the model input; the authors divide by the image
 *    diagonal), and its sample standard deviation (n − 1, MATLAB's `var`). A landmark seen on
 *    fewer than 2 of the images is skipped (MATLAB would count one image as 0); a unit with no
 *    landmark left is `null`.
 * 4. The unit's instability is the mean over the landmarks; the layer's is the mean over its
 *    measured, non-null units. (The authors average the layers too, and report that one number.)
 *
 * Not followed: the authors also infer every node on each image's mirror image and keep the
 * better of the two; we measure the images as given, for nodes and filters alike.
 */
import { LucernaError, positiveInteger } from '../errors.js';

/** One image: per unit, its position (model-input pixels) and score (0: not fired, no position). */
export interface ScoredUnits {
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  readonly score: ArrayLike<number>;
  readonly landmarks: ReadonlyMap<string, readonly [number, number]>;
}

/** Options of {@link graphProtocolInstability}. */
export interface GraphProtocolOptions {
  /** Model input width W and height H, in pixels. */
  readonly width: number;
  readonly height: number;
  /** Images per unit, largest score first; also the ranking's depth (the authors' 20). */
  readonly topImages?: number;
  /** Units measured, best-ranked first (default: every unit). */
  readonly topUnits?: number;
}

/** One unit's result. */
export interface ProtocolUnit {
  readonly unit: number;
  /** Its ranking score, the mean of its `topImages` largest scores. */
  readonly rank: number;
  /** The instability (null: no landmark on 2 of its images, or not among the measured units). */
  readonly instability: number | null;
  /** Whether it is among the `topUnits` best-ranked units. */
  readonly measured: boolean;
}

/** A layer's result. */
export interface ProtocolLayer {
  /** Mean over the measured, non-null units (null when there is none). */
  readonly instability: number | null;
  readonly units: readonly ProtocolUnit[];
}

function sampleStd(values: readonly number[]): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) * (v - mean), 0) / (values.length - 1));
}

function topOf(images: readonly ScoredUnits[], u: number, k: number): number[] {
  const score = (i: number) => images[i]?.score[u] as number;
  return images
    .map((_, i) => i)
    .sort((a, b) => score(b) - score(a) || a - b)
    .slice(0, k);
}

function unitInstability(images: readonly ScoredUnits[], u: number, top: readonly number[], diagonal: number): number | null {
  const perLandmark = new Map<string, number[]>();
  for (const i of top) {
    const im = images[i] as ScoredUnits;
    if (!((im.score[u] as number) > 0)) continue;
    for (const [name, at] of im.landmarks) {
      let list = perLandmark.get(name);
      if (!list) perLandmark.set(name, (list = []));
      list.push(Math.hypot((im.x[u] as number) - at[0], (im.y[u] as number) - at[1]) / diagonal);
    }
  }
  const stds = [...perLandmark.values()].filter((l) => l.length >= 2).map(sampleStd);
  return stds.length ? stds.reduce((s, v) => s + v, 0) / stds.length : null;
}

/**
 * The paper's location instability of one layer's units (nodes or filters).
 *
 * @example
 * ```ts
 * const r = graphProtocolInstability(images, { width: 64, height: 64, topImages: 20, topUnits: 64 });
 * r.instability; // mean over the 64 best-ranked units
 * ```
 */
export function graphProtocolInstability(images: readonly ScoredUnits[], options: GraphProtocolOptions): ProtocolLayer {
  const { width, height, topImages = 20 } = options;
  if (!(width > 0 && height > 0)) throw new LucernaError('BAD_OPTION', `The input size must be positive, got ${width}×${height}`);
  positiveInteger(topImages, '--top-images');
  const n = images[0]?.score.length ?? 0;
  for (const im of images)
    if (im.x.length !== n || im.y.length !== n || im.score.length !== n)
      throw new LucernaError('BAD_SHAPE', `Every image needs the same number of units (${n}), got ${im.score.length}`);
  const topUnits = options.topUnits ?? n;
  positiveInteger(topUnits, '--top-units');
  const diagonal = Math.hypot(width, height);
  const tops = Array.from({ length: n }, (_, u) => topOf(images, u, topImages));
  const rank = tops.map((top, u) => top.reduce((s, i) => s + (images[i]?.score[u] as number), 0) / top.length);
  const order = rank.map((_, u) => u).sort((a, b) => (rank[b] as number) - (rank[a] as number) || a - b);
  const measured = new Set(order.slice(0, topUnits).filter((u) => (rank[u] as number) > 0));
  const units = rank.map((r, u) => ({
    unit: u,
    rank: r,
    measured: measured.has(u),
    instability: measured.has(u) ? unitInstability(images, u, tops[u] as number[], diagonal) : null,
  }));
  const values = units.map((x) => x.instability).filter((v): v is number => v !== null);
  return { instability: values.length ? values.reduce((s, v) => s + v, 0) / values.length : null, units };
}
