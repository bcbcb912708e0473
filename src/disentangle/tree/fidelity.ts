/**
 * Fidelity of the decision tree by depth (Zhang et al., "Interpreting CNNs via Decision Trees",
 * CVPR 2019, https://arxiv.org/abs/1802.00121, Sec. 4): each image is routed from the root by
 * the highest cosine ({@link decisionPath}) and predicted, at depth d, by the node its path
 * reaches there (by its leaf when the path is shorter). Reported per depth:
 * - **the paper's error** mean_I |ŷ_I − y_I| / (max_I y_I − min_I y_I): the mean absolute error over
 *   the value range of the scores, as the public TensorFlow re-implementation of this paper
 *   computes its "prediction error" per tree layer (the paper's own Sec. 4 text was not readable
 *   here; docs/tree.md);
 * - **relative error** Σ_I |ŷ_I − y_I| / Σ_I |y_I| (a ratio of sums, so images whose score is
 *   near 0 do not dominate it as a mean of ratios would);
 * - **normalised error** Σ_I |ŷ_I − y_I| / Σ_I |y_I − ȳ|: the error against that of always
 *   predicting the mean score ȳ (1: no better than a constant; a network whose score barely
 *   varies has a small relative error whatever the tree does, but not a small normalised one);
 * - **agreement** with the CNN on "is it this class": the CNN says yes when y_I beats every other
 *   class score, the tree when ŷ_I does; the fraction of images where both say the same;
 * - **accuracy** of the tree's yes/no against the true labels, beside the CNN's own.
 */
import { decisionPath, type PathStep } from './infer.js';
import type { DecisionTree, Rationale } from './types.js';

/** One image to score: its rationale for the tree's class, and optionally the rest of the decision. */
export interface FidelityImage {
  readonly rationale: Rationale;
  /** The highest score among the other classes (needed for agreement and accuracy). */
  readonly otherMax?: number;
  /** Whether the image truly is of the tree's class (needed for accuracy). */
  readonly positive?: boolean;
}

/** Fidelity at one depth. */
export interface DepthFidelity {
  readonly depth: number;
  /** The paper's error: mean |ŷ − y| / (max y − min y) over the scored images (NaN when all y are equal). */
  readonly rangeError: number;
  readonly relativeError: number;
  /** Σ|ŷ − y| / Σ|y − ȳ|. */
  readonly normalisedError: number;
  /** Fraction of images where the tree's yes/no equals the CNN's (NaN without `otherMax`). */
  readonly agreement: number;
  /** The tree's yes/no accuracy against the labels (NaN without `otherMax` and `positive`). */
  readonly accuracy: number;
  /** The CNN's own yes/no accuracy on the same images (the same at every depth). */
  readonly cnnAccuracy: number;
}

/** Scores the node each image's path yields under `pick`. */
function fidelityOf(
  images: readonly FidelityImage[],
  paths: readonly PathStep[][],
  pick: (path: readonly PathStep[]) => PathStep | undefined,
  depth: number,
): DepthFidelity {
  const meanY = images.reduce((a, im) => a + im.rationale.score, 0) / Math.max(1, images.length);
  const spread = images.reduce((a, im) => a + Math.abs(im.rationale.score - meanY), 0);
  const range =
    images.reduce((a, im) => Math.max(a, im.rationale.score), Number.NEGATIVE_INFINITY) -
    images.reduce((a, im) => Math.min(a, im.rationale.score), Number.POSITIVE_INFINITY);
  let err = 0;
  let scored = 0;
  let norm = 0;
  let agree = 0;
  let decided = 0;
  let right = 0;
  let cnnRight = 0;
  let labelled = 0;
  images.forEach((im, i) => {
    const step = pick(paths[i] ?? []);
    if (!step) return;
    const y = im.rationale.score;
    err += Math.abs(step.predicted - y);
    norm += Math.abs(y);
    scored++;
    if (im.otherMax === undefined) return;
    const cnnSays = y > im.otherMax;
    const treeSays = step.predicted > im.otherMax;
    decided++;
    if (cnnSays === treeSays) agree++;
    if (im.positive === undefined) return;
    labelled++;
    if (treeSays === im.positive) right++;
    if (cnnSays === im.positive) cnnRight++;
  });
  return {
    depth,
    rangeError: scored === 0 || !(range > 0) ? Number.NaN : err / scored / range,
    relativeError: norm === 0 ? Number.NaN : err / norm,
    normalisedError: spread === 0 ? Number.NaN : err / spread,
    agreement: decided === 0 ? Number.NaN : agree / decided,
    accuracy: labelled === 0 ? Number.NaN : right / labelled,
    cnnAccuracy: labelled === 0 ? Number.NaN : cnnRight / labelled,
  };
}

/**
 * Fidelity of `tree` on `images` at each of `depths` (`Infinity` for the leaves).
 *
 * @example
 * ```ts
 * const curve = depthFidelity(tree, images, [0, 1, 2, 4, Infinity]);
 * ```
 */
export function depthFidelity(tree: DecisionTree, images: readonly FidelityImage[], depths: readonly number[]): DepthFidelity[] {
  const paths = images.map((im) => decisionPath(tree, im.rationale, 0));
  return depths.map((depth) => fidelityOf(images, paths, (p) => p[Math.min(depth, p.length - 1)], depth));
}

/**
 * Fidelity at the paper's decision modes (`tree.modes`, where the paper stops merging): each image
 * is predicted by the mode its path passes through; `depth` is NaN. Undefined without modes.
 *
 * @example
 * ```ts
 * modesFidelity(tree, images)?.normalisedError;
 * ```
 */
export function modesFidelity(tree: DecisionTree, images: readonly FidelityImage[]): DepthFidelity | undefined {
  if (!tree.modes) return undefined;
  const modes = new Set(tree.modes);
  const paths = images.map((im) => decisionPath(tree, im.rationale, 0));
  return fidelityOf(images, paths, (p) => p.find((s) => modes.has(s.node)), Number.NaN);
}

/**
 * Fidelity by the paper's tree layers (its Sec. 4 tables report the tree "at each layer"): the
 * paper's root links straight to the decision modes, and each mode keeps its binary merge history
 * below it, so **layer 1** is the root, **layer 2** the mode on the image's path (`tree.modes`), and
 * **layer k** the node k − 2 steps below that mode (the image's leaf when its path is shorter).
 * `Infinity` is the leaves. Our tree's extra binary levels between the root and the modes are not
 * layers of the paper's tree, so they are skipped here. Undefined without modes.
 *
 * @example
 * ```ts
 * const rows = layerFidelity(tree, images, [1, 2, 3, 5, Infinity]);
 * ```
 */
export function layerFidelity(tree: DecisionTree, images: readonly FidelityImage[], layers: readonly number[]): DepthFidelity[] | undefined {
  if (!tree.modes) return undefined;
  const modes = new Set(tree.modes);
  const paths = images.map((im) => decisionPath(tree, im.rationale, 0));
  return layers.map((layer) =>
    fidelityOf(
      images,
      paths,
      (p) => {
        if (layer <= 1) return p[0];
        const at = p.findIndex((s) => modes.has(s.node));
        return at < 0 ? undefined : p[Math.min(at + layer - 2, p.length - 1)];
      },
      layer,
    ),
  );
}

/**
 * The depth of the deepest leaf (the root is depth 0).
 *
 * @example
 * ```ts
 * treeDepth(tree); // 0 for a single leaf
 * ```
 */
export function treeDepth(tree: DecisionTree): number {
  const depthOf = (id: number): number => {
    const node = tree.nodes[id];
    if (!node || node.children.length === 0) return 0;
    return 1 + Math.max(...node.children.map(depthOf));
  };
  return depthOf(tree.root);
}
