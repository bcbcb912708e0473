/**
 * "Part contributions that make sense" (issue #18, after Zhang et al., "Interpreting CNNs via
 * Decision Trees", CVPR 2019, https://arxiv.org/abs/1802.00121): when each filter is assigned a
 * part (for example its best part by Network Dissection IoU), how often the filters that contribute
 * most to the tree's general decision modes are filters of the class's distinguishing parts,
 * against the share of all filters so assigned (what picking filters at random gives).
 */
import { type Contribution, contributions } from './infer.js';
import type { DecisionTree, Rationale } from './types.js';

/** One filter's part and how well it matches it (IoU; Bau et al. call ≥ 0.04 a detector). */
export interface FilterPart {
  readonly part: string;
  readonly iou: number;
}

/** Options of {@link partCheck}. */
export interface PartCheckOptions {
  /** Levels from the root whose nodes are checked (default 4). */
  readonly levels?: number;
  /** Smallest node checked, in images (default 5). */
  readonly minImages?: number;
  /** Top filters per node (default 3). */
  readonly top?: number;
  /** IoU from which a filter counts as a part detector (default 0.04). */
  readonly detector?: number;
}

/** The result of {@link partCheck}. */
export interface PartCheck {
  readonly nodesChecked: number;
  /** Top filters of the checked nodes, with repeats (a filter on top of several nodes counts each time). */
  readonly picks: number;
  readonly pickShare: number;
  /** The same over the distinct filters among the picks. */
  readonly distinct: number;
  readonly distinctShare: number;
  /** Share of all filters assigned to a distinguishing part: the base rate. */
  readonly baseShare: number;
  /** Part detectors among all filters and among the distinct top filters. */
  readonly detectors: number;
  readonly topDetectors: number;
  /** Mean IoU of all filters and of the distinct top filters. */
  readonly meanIou: number;
  readonly topIou: number;
  /**
   * How concentrated the checked modes are: the mean over the checked nodes of their top filters'
   * share of Σ|w_c·x̂_c| (k/C when every filter contributes alike, 1 when the top k do all of it).
   */
  readonly topMass: number;
}

/**
 * A node's top `k` positively contributing filters on its own images: w_c · mean_I x̂_c.
 *
 * @example
 * ```ts
 * topFilters(tree, tree.root, rationales, 3); // e.g. [12, 4, 30]
 * ```
 */
export function topFilters(tree: DecisionTree, id: number, train: readonly Rationale[], k: number): number[] {
  return nodeContributions(tree, id, train)
    .filter((c) => c.value > 0)
    .slice(0, k)
    .map((c) => c.filter);
}

function nodeContributions(tree: DecisionTree, id: number, train: readonly Rationale[]): Contribution[] {
  const node = tree.nodes[id];
  if (!node) return [];
  const mean = new Float64Array(tree.filters);
  for (const i of node.samples)
    for (let c = 0; c < tree.filters; c++) mean[c] = (mean[c] as number) + ((train[i] as Rationale).features[c] as number) / node.samples.length;
  return contributions(node.mode, mean);
}

/**
 * Nodes of the top `levels` levels (the root is level 1) with at least `min` images.
 *
 * @example
 * ```ts
 * topNodes(tree, 2, 1); // the root and its children
 * ```
 */
export function topNodes(tree: DecisionTree, levels: number, min: number): number[] {
  const out: number[] = [];
  let level = [tree.root];
  for (let d = 0; d < levels && level.length; d++) {
    out.push(...level.filter((id) => (tree.nodes[id]?.size ?? 0) >= min));
    level = level.flatMap((id) => [...(tree.nodes[id]?.children ?? [])]);
  }
  return out;
}

/**
 * The check: the share of the top filters of the tree's top nodes whose part is in
 * `distinguishing`, per pick and over distinct filters, against the share of all filters.
 *
 * @example
 * ```ts
 * const r = partCheck(tree, rationales, assigned, new Set(['beak', 'wings']));
 * r.distinctShare > r.baseShare; // top filters favour the distinguishing parts
 * ```
 */
export function partCheck(
  tree: DecisionTree,
  train: readonly Rationale[],
  assigned: readonly FilterPart[],
  distinguishing: ReadonlySet<string>,
  o: PartCheckOptions = {},
): PartCheck {
  const isSpecial = (f: number): boolean => distinguishing.has(assigned[f]?.part ?? '');
  const checked = topNodes(tree, o.levels ?? 4, o.minImages ?? 5);
  const tops = checked.flatMap((id) => topFilters(tree, id, train, o.top ?? 3));
  const distinct = [...new Set(tops)];
  const share = (fs: readonly number[]): number => fs.filter(isSpecial).length / Math.max(1, fs.length);
  const iou = (f: number): number => assigned[f]?.iou ?? 0;
  const mean = (fs: readonly number[]): number => fs.reduce((a, f) => a + iou(f), 0) / Math.max(1, fs.length);
  const all = [...assigned.keys()];
  const detector = o.detector ?? 0.04;
  const k = o.top ?? 3;
  const mass = checked.map((id) =>
    nodeContributions(tree, id, train)
      .filter((c) => c.value > 0)
      .slice(0, k)
      .reduce((a, c) => a + c.percent / 100, 0),
  );
  return {
    nodesChecked: checked.length,
    picks: tops.length,
    pickShare: share(tops),
    distinct: distinct.length,
    distinctShare: share(distinct),
    baseShare: share(all),
    detectors: all.filter((f) => iou(f) >= detector).length,
    topDetectors: distinct.filter((f) => iou(f) >= detector).length,
    meanIou: mean(all),
    topIou: mean(distinct),
    topMass: mass.reduce((a, v) => a + v, 0) / Math.max(1, mass.length),
  };
}
