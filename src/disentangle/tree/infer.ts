/**
 * Inference in the decision tree of rationales (Zhang et al., CVPR 2019,
 * https://arxiv.org/abs/1802.00121): from the root, go to the child whose decision mode has the
 * highest cosine similarity with the image's rationale ĝ (after the tree's per-filter scale, when it
 * has one: cos(ĝ∘s, w∘s)); the path is the explanation. At each
 * node, filter c contributes w_c·x̂_c to the predicted score w·x̂ + b; percentages are of
 * Σ_c |w_c·x̂_c| (the paper's normalisation of contributions to a distribution over parts).
 */
import { cosine } from './build.js';
import type { DecisionTree, Rationale, TreeNode } from './types.js';

/** One filter's share in a node's prediction. */
export interface Contribution {
  readonly filter: number;
  readonly value: number;
  /** 100·|value| / Σ|values|, signed like value. */
  readonly percent: number;
}

/** One step of a decision path. */
export interface PathStep {
  readonly node: number;
  readonly depth: number;
  /** Cosine between the image's rationale and this node's mode (1 for the root by convention is not assumed: computed). */
  readonly similarity: number;
  /** The node's predicted score w·x̂ + b. */
  readonly predicted: number;
  /** |predicted − y| / |y|. */
  readonly relativeError: number;
  /** The top filters by |contribution|, largest first. */
  readonly top: readonly Contribution[];
}

/**
 * Filter contributions w_c·x̂_c of a node for an image, with percentages, largest |value| first.
 *
 * @example
 * ```ts
 * const top = contributions(node.mode, rationale.features).slice(0, 5);
 * ```
 */
export function contributions(mode: readonly number[], features: ArrayLike<number>): Contribution[] {
  const values = mode.map((w, c) => w * (features[c] as number));
  const total = values.reduce((s, v) => s + Math.abs(v), 0);
  return values
    .map((value, filter) => ({ filter, value, percent: total === 0 ? 0 : (100 * value) / total }))
    .sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.filter - b.filter);
}

/**
 * A node's predicted score for an image: w·x̂ + b.
 *
 * @example
 * ```ts
 * const yhat = predictedScore(tree.nodes[tree.root], rationale);
 * ```
 */
export function predictedScore(node: TreeNode, r: Rationale): number {
  return node.mode.reduce((s, w, c) => s + w * (r.features[c] as number), node.bias);
}

/**
 * The decision path of an image from the root to a leaf.
 *
 * @example
 * ```ts
 * for (const step of decisionPath(tree, rationale)) console.log(step.node, step.top[0]);
 * ```
 */
export function decisionPath(tree: DecisionTree, r: Rationale, topK = 5): PathStep[] {
  const steps: PathStep[] = [];
  let id = tree.root;
  for (let depth = 0; ; depth++) {
    const node = tree.nodes[id] as TreeNode;
    const predicted = predictedScore(node, r);
    steps.push({
      node: id,
      depth,
      similarity: cosine(r.gradient, node.mode, tree.scale),
      predicted,
      relativeError: Math.abs(predicted - r.score) / Math.max(Math.abs(r.score), 1e-12),
      top: contributions(node.mode, r.features).slice(0, topK),
    });
    if (node.children.length === 0) return steps;
    let best = node.children[0] as number;
    let bestSim = -Infinity;
    for (const child of node.children) {
      const sim = cosine(r.gradient, (tree.nodes[child] as TreeNode).mode, tree.scale);
      if (sim > bestSim) {
        bestSim = sim;
        best = child;
      }
    }
    id = best;
  }
}
