/**
 * Data types of the decision tree of prediction rationales (Zhang et al., "Interpreting CNNs via
 * Decision Trees", CVPR 2019, https://arxiv.org/abs/1802.00121).
 */

/**
 * One image's rationale at a conv layer with C filters, for one class score y:
 * - `features[c]` = x̂_c = Σ_p x[c, p], the filter's total activation;
 * - `gradient[c]` = ĝ_c = Σ_p g[c, p]·x[c, p] / x̂_c, the activation-weighted mean of g = ∂y/∂x
 *   (the plain mean of g where x̂_c = 0), so that ĝ_c·x̂_c = Σ_p (g∘x)[c, p] is filter c's contribution;
 * - `score` = y.
 *
 * @example
 * ```ts
 * const r: Rationale = { features: Float64Array.of(1, 0), gradient: Float64Array.of(2, 0.5), score: 2.1 };
 * ```
 */
export interface Rationale {
  readonly features: Float64Array;
  readonly gradient: Float64Array;
  readonly score: number;
}

/**
 * One node of the tree. Its decision mode is w = α∘ḡ (ḡ: the mean ĝ of its images; α = 1 unless refitted),
 * and it predicts an image's score as w·x̂ + bias.
 *
 * @example
 * ```ts
 * const leaf: TreeNode = { id: 0, children: [], samples: [0], mode: [1, 2], bias: 0.1, size: 1 };
 * ```
 */
export interface TreeNode {
  readonly id: number;
  /** Child node ids (two for a merged node, none for a leaf). */
  readonly children: readonly number[];
  /** Indices of the training images under this node (leaves only keep theirs; merged nodes are the union). */
  readonly samples: readonly number[];
  /** The decision mode w, one weight per filter. */
  readonly mode: readonly number[];
  readonly bias: number;
  /** Number of training images under the node. */
  readonly size: number;
}

/** A built tree: nodes by id; the root is the last node. */
export interface DecisionTree {
  readonly nodes: readonly TreeNode[];
  readonly root: number;
  /** Number of filters C. */
  readonly filters: number;
  /**
   * Per-filter scale s_c used to compare rationales: cosines are taken between ĝ∘s and w∘s (the
   * paper's x_c/s_c, g_c·s_c normalisation, s_c = the filter's mean activation x̂_c over the
   * tree's images). Absent: no scaling (trees written before it existed).
   */
  readonly scale?: readonly number[];
  /**
   * The paper's decision modes: the nodes still unmerged when no merge gained any more (β − ΔL ≤ 0),
   * where the paper stops merging and which it makes its root's children. A cut of the tree: every
   * root-to-leaf path meets exactly one. `[root]` when every merge gained. Absent in older files.
   */
  readonly modes?: readonly number[];
}
