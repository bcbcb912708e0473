/**
 * Building the decision tree of prediction rationales bottom-up (Zhang et al., "Interpreting
 * CNNs via Decision Trees", CVPR 2019, https://arxiv.org/abs/1802.00121, Sec. 3).
 *
 * **From the paper** (its outline, and the formulation as two public re-implementations agree on
 * it; docs/tree.md lays the paper and this code side by side, step by step): one leaf per positive training image whose mode is the
 * image's own rationale; greedy pairwise merges into a parent until one root remains; a node's
 * decision mode has the form w = α∘ḡ (ḡ: the mean rationale of its images); a compactness weight
 * β per merge; λ = λ₀·√n; inference from the root to the child of highest cosine(ĝ, w).
 *
 * **Ours:**
 * - **Decision mode.** By default α = 1, i.e. w = ḡ, and the bias is b = mean_I(y_I − ḡ·x̂_I), so
 *   a node predicts y ≈ ḡ·x̂ + b, exact for images that share one linear region of the head (a
 *   leaf predicts its own image exactly). An earlier version fitted α by a lasso on the node's
 *   scores (penalty towards 0, λ₀ = 1e-6); it was measured to make leaves no better than the
 *   root on held-out images (mean |ŷ − y|/|y| 1.79 at the leaves vs 1.45 at the root), because a
 *   score-fitted α bends w away from the images' rationales and cosine routing then misroutes.
 *   A finite `lambda0` still refits α, now with the penalty λ₀·√n·‖α − 1‖₁ (shrinking towards
 *   the mean rationale, {@link fitLasso} with a prior), which keeps small nodes from overfitting.
 * - **Merge criterion.** L(v) = Σ_I (1 − cos(ĝ_I, ḡ_v)) + ½RSS_v / mean_I(y²): the rationales'
 *   spread about the mode plus the relative squared error of the node's scores, 0 for a leaf;
 *   merge gain β − (L(u∪v) − L(u) − L(v)). The spread is computed in O(C) from the node's sum of
 *   unit rationales, the RSS in O(n·C) from its images (O(C²·sweeps) when α is refitted).
 * - **Candidate pairs.** Each active node keeps its `neighbours` nearest active nodes (cosine of
 *   modes) as candidates; `neighbours: Infinity` is the paper's exhaustive search.
 * - **Per-filter scale.** Cosines compare ĝ∘s and w∘s, s_c = the filter's mean activation
 *   ({@link filterScale}): the paper's x_c/s_c, g_c·s_c normalisation (`normalise: false` turns it off).
 * - Merging continues to a single root; no pruning. The nodes active when the best gain first
 *   drops to ≤ 0 (where the paper stops, its root's children) are kept as `modes`.
 *
 * Measured fidelity (mean |ŷ − y|/|y|, synthetic rationales of a piecewise-linear head with 4
 * linear regions, 16 filters, scores ≥ 1, 48 train / 48 held-out images, held-out routed by
 * cosine, tree cut at depth 0,1,2,…): 0.247, 0.258, 0.008, 0.006, 0.006, 0.007, … 0.007 at the
 * leaves. Below the level where the regions separate, splits are of noise and the error drifts
 * up slightly (a single image's rationale is a noisier mode than a region's mean). On a
 * hand-built random CNN (conv 8 filters → ReLU → FC 16 → ReLU → FC, class bias 40 so scores lie
 * in 21…53; 80 train / 80 held-out random images) the held-out error falls only from 0.232 at
 * the root to 0.176 at the leaves, and not monotonically by depth (0.232, 0.218, 0.219, 0.209,
 * 0.224, …): a random head has no shared decision modes to find. With the old score-fitted α it
 * rose (0.244 → 0.257).
 *
 * Cost (one run each, shared 2-core machine at load ≈ 13, 500 synthetic rationales, 8
 * neighbours, default α = 1): 0.9 s for C = 64 filters, 0.6 s for C = 256 (before: 32 s and
 * 157 s with the score-fitted lasso). A finite `lambda0` brings back the O(C²·sweeps) lasso per
 * candidate merge and is much slower at large C. On real rationales merges chain into large nodes
 * that sit in many candidate lists, so a candidate's O(n·C) residuals dominated: 500 bird images of
 * the parts set at an untrained ResNet-18's `Relu_83` (C = 512) took 128,000 candidate fits and
 * 27–39 s CPU. The n×n table of ĝ_J·x̂_I (`table`) makes each fit O(n): 7.3 s CPU, the same tree.
 */
import { LucernaError } from '../../errors.js';
import { addStats, fitLasso, rowStats, type SuffStats } from './lasso.js';
import type { DecisionTree, Rationale, TreeNode } from './types.js';

/** Largest n² (images squared) for which the n×n table of ĝ_J·x̂_I is kept (16 M doubles, 128 MB at most). */
const PROJECTION_LIMIT = 16_000_000;

/** Options of {@link buildTree}. */
export interface BuildOptions {
  /** Compactness weight β. Default 1 (the paper's). */
  readonly beta?: number;
  /**
   * λ₀: the weight of ‖α − 1‖₁ is λ₀·√n. Default Infinity: α = 1, the mode is the node's mean
   * rationale ḡ (measured best for cosine routing; see the module comment). A finite λ₀ refits α
   * to the node's scores.
   */
  readonly lambda0?: number;
  /** Candidate neighbours per node. Default 8; Infinity for the exhaustive search. */
  readonly neighbours?: number;
  /**
   * Compare rationales after the paper's per-filter normalisation ({@link filterScale}). Default
   * true; false compares the raw ĝ (the behaviour before this option).
   */
  readonly normalise?: boolean;
  /**
   * Keep the n×n table of ĝ_J·x̂_I that makes each candidate merge O(n) instead of O(n·C) (α = 1
   * only; 8·n² bytes). Default: when n² ≤ 16 M. The tree is the same either way, up to rounding.
   */
  readonly table?: boolean;
  /** Coordinate-descent stopping tolerance on α (max coefficient move per sweep). Default 1e-6. */
  readonly tolerance?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (merged: number, total: number) => void;
}

interface Active {
  /** Sufficient statistics, kept only when α is refitted (finite λ₀). */
  stats: SuffStats | undefined;
  gradSum: Float64Array;
  unitSum: Float64Array;
  objective: number;
  candidates: Set<number>;
}

/**
 * The cosine similarity of two vectors (0 when either is zero); with `scale` s, the cosine of a∘s
 * and b∘s (the paper's per-filter normalisation, see {@link filterScale}).
 *
 * @example
 * ```ts
 * cosine([1, 0], [1, 1]); // ≈ 0.707
 * cosine([1, 1], [1, 0], [1, 0]); // 1: filter 1 is scaled away
 * ```
 */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>, scale?: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const s2 = scale ? (scale[i] as number) ** 2 : 1;
    const x = a[i] as number;
    const y = b[i] as number;
    ab += x * y * s2;
    aa += x * x * s2;
    bb += y * y * s2;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

/**
 * The paper's per-filter scale s_c = mean over the images of x̂_c (the filter's mean total
 * activation; 1 where that is not positive, so a dead filter neither vanishes nor divides by 0).
 * Rationales are compared as ĝ∘s, i.e. as the paper's g_c·s_c with x_c/s_c: the product
 * ĝ_c·x̂_c, and so every prediction and contribution, is unchanged, but a filter's weight in the
 * cosine follows how much it fires, not the units of its gradient.
 *
 * @example
 * ```ts
 * filterScale([{ features: Float64Array.of(100, 0), gradient: Float64Array.of(1, 1), score: 1 }]); // [100, 1]
 * ```
 */
export function filterScale(rationales: readonly Rationale[]): number[] {
  const filters = (rationales[0] as Rationale).features.length;
  const sum = new Float64Array(filters);
  for (const r of rationales) for (let c = 0; c < filters; c++) sum[c] = (sum[c] as number) + (r.features[c] as number);
  return Array.from(sum, (v) => {
    const m = v / rationales.length;
    return m > 0 && Number.isFinite(m) ? m : 1;
  });
}

const addVec = (p: Float64Array, q: Float64Array): Float64Array => p.map((v, i) => v + (q[i] as number));
const union = (a: Active, b: Active): Pick<Active, 'stats' | 'gradSum' | 'unitSum'> => ({
  stats: a.stats && b.stats ? addStats(a.stats, b.stats) : undefined,
  gradSum: addVec(a.gradSum, b.gradSum),
  unitSum: addVec(a.unitSum, b.unitSum),
});
const ONES = (n: number): Float64Array => new Float64Array(n).fill(1);

/** (ĝ∘s)/‖ĝ∘s‖ (0 for a zero rationale, whose cosine with anything is 0, as in {@link cosine}). */
function unit(g: ArrayLike<number>, scale: ArrayLike<number>): Float64Array {
  const gs = Float64Array.from(g, (v, i) => v * (scale[i] as number));
  let nn = 0;
  for (let i = 0; i < gs.length; i++) nn += (gs[i] as number) ** 2;
  const inv = nn === 0 ? 0 : 1 / Math.sqrt(nn);
  return gs.map((v) => v * inv);
}

/**
 * A node's mode and loss from its additive statistics: `unitSum` = Σ_I u_I with u_I = (ĝ_I∘s)/‖ĝ_I∘s‖,
 * so that the cosine spread Σ_I (1 − cos(ĝ_I∘s, ḡ∘s)) = n − unitSum·(ḡ∘s)/‖ḡ∘s‖ costs O(C), not O(n·C).
 * With `projected(I)` = G·x̂_I (G = `gradSum`, read from the build's table), the α = 1 residuals cost
 * O(n), not O(n·C).
 */
function fitMerged(
  node: { readonly stats: SuffStats | undefined; readonly gradSum: Float64Array; readonly unitSum: Float64Array },
  samples: readonly number[],
  rationales: readonly Rationale[],
  lambda0: number,
  tolerance: number,
  scale: ArrayLike<number>,
  projected?: (image: number) => number,
): { mode: number[]; bias: number; objective: number } {
  const n = samples.length;
  const mean = node.gradSum.map((v) => v / n);
  let alpha: ArrayLike<number>;
  let bias = 0;
  let halfRss = 0;
  let syy = 0;
  if (node.stats === undefined) {
    // α = 1: the bias and residuals of w = ḡ straight from the images, O(n·C).
    alpha = ONES(mean.length);
    const res = samples.map((i) => {
      const r = rationales[i] as Rationale;
      syy += r.score * r.score;
      if (projected) return r.score - projected(i) / n;
      let e = r.score;
      for (let c = 0; c < mean.length; c++) e -= (mean[c] as number) * (r.features[c] as number);
      return e;
    });
    bias = res.reduce((s, e) => s + e, 0) / n;
    for (const e of res) halfRss += 0.5 * (e - bias) ** 2;
  } else {
    const fit = fitLasso(node.stats, { lambda: lambda0 * Math.sqrt(n), scale: mean, prior: ONES(mean.length), tolerance });
    ({ alpha, bias, halfRss } = fit);
    syy = node.stats.syy;
  }
  let dot = 0;
  let mm = 0;
  for (let c = 0; c < mean.length; c++) {
    const ms = (mean[c] as number) * (scale[c] as number);
    dot += (node.unitSum[c] as number) * ms;
    mm += ms ** 2;
  }
  const spread = n - (mm === 0 ? 0 : dot / Math.sqrt(mm));
  const meanSq = Math.max(syy / n, 1e-12);
  return { mode: Array.from(mean, (g, c) => (alpha[c] as number) * g), bias, objective: spread + halfRss / meanSq };
}

function checkRationales(rationales: readonly Rationale[]): number {
  if (rationales.length === 0) throw new LucernaError('BAD_OPTION', 'No rationales to build a tree from', 'Pass at least one image');
  const filters = (rationales[0] as Rationale).features.length;
  for (const r of rationales) {
    if (r.features.length !== filters || r.gradient.length !== filters) {
      throw new LucernaError('BAD_SHAPE', 'Rationales have different numbers of filters', 'Compute all of them at the same layer');
    }
  }
  return filters;
}

/**
 * Builds the tree from the positive training images' rationales.
 *
 * @example
 * ```ts
 * const tree = buildTree(rationales, { beta: 1, lambda0: 1e-6 });
 * ```
 */
export function buildTree(rationales: readonly Rationale[], options: BuildOptions = {}): DecisionTree {
  const filters = checkRationales(rationales);
  const beta = options.beta ?? 1;
  const lambda0 = options.lambda0 ?? Number.POSITIVE_INFINITY;
  const k = options.neighbours ?? 8;
  const tolerance = options.tolerance ?? 1e-6;
  const refit = Number.isFinite(lambda0);
  const normalise = options.normalise ?? true;
  const scale = normalise ? filterScale(rationales) : new Array<number>(filters).fill(1);
  if (!(k >= 1)) throw new LucernaError('BAD_OPTION', `neighbours must be at least 1, got ${k}`);
  if (!(lambda0 >= 0)) throw new LucernaError('BAD_OPTION', `lambda0 must be ≥ 0, got ${lambda0}`);
  if (!(tolerance > 0)) throw new LucernaError('BAD_OPTION', `tolerance must be > 0, got ${tolerance}`);
  const nodes: TreeNode[] = [];
  const active = new Map<number, Active>();
  rationales.forEach((r, i) => {
    const mode = Array.from(r.gradient);
    const bias = r.score - mode.reduce((s, w, c) => s + w * (r.features[c] as number), 0);
    nodes.push({ id: i, children: [], samples: [i], mode, bias, size: 1 });
    active.set(i, {
      stats: refit ? rowStats(r.features, r.score) : undefined,
      gradSum: Float64Array.from(r.gradient),
      unitSum: unit(r.gradient, scale),
      objective: 0,
      candidates: new Set(),
    });
  });
  // α = 1: a node's predictions need only G·x̂_I (G: the node's sum of rationales), and
  // G_{u∪v}·x̂_I = G_u·x̂_I + G_v·x̂_I. With the n×n table of ĝ_J·x̂_I, each active node keeps
  // its row of G·x̂ over every image, so a candidate merge costs O(n_u + n_v), not O((n_u + n_v)·C).
  const n = rationales.length;
  const rows = !refit && (options.table ?? n * n <= PROJECTION_LIMIT) ? new Map<number, Float64Array>() : undefined;
  if (rows) {
    const table = new Float64Array(n * n);
    for (let j = 0; j < n; j++) {
      const g = (rationales[j] as Rationale).gradient;
      for (let i = 0; i < n; i++) {
        const x = (rationales[i] as Rationale).features;
        let d = 0;
        for (let c = 0; c < filters; c++) d += (g[c] as number) * (x[c] as number);
        table[j * n + i] = d;
      }
      rows.set(j, table.subarray(j * n, (j + 1) * n));
    }
  }
  const pairDot = (u: number, v: number): ((i: number) => number) | undefined => {
    const pu = rows?.get(u);
    const pv = rows?.get(v);
    return pu && pv ? (i) => (pu[i] as number) + (pv[i] as number) : undefined;
  };
  const nearest = (id: number): Set<number> => {
    const mode = (nodes[id] as TreeNode).mode;
    const scored: [number, number][] = [];
    for (const other of active.keys()) if (other !== id) scored.push([other, cosine(mode, (nodes[other] as TreeNode).mode, scale)]);
    scored.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    return new Set(scored.slice(0, Math.min(k, scored.length)).map(([o]) => o));
  };
  for (const [id, a] of active) a.candidates = nearest(id);
  const costs = new Map<string, number>();
  const pairKey = (u: number, v: number): string => (u < v ? `${u},${v}` : `${v},${u}`);
  const mergeCost = (u: number, v: number): number => {
    const key = pairKey(u, v);
    let c = costs.get(key);
    if (c === undefined) {
      const a = active.get(u) as Active;
      const b = active.get(v) as Active;
      const samples = [...(nodes[u] as TreeNode).samples, ...(nodes[v] as TreeNode).samples];
      const merged = fitMerged(union(a, b), samples, rationales, lambda0, tolerance, scale, pairDot(u, v));
      c = merged.objective - a.objective - b.objective;
      costs.set(key, c);
    }
    return c;
  };
  const total = rationales.length - 1;
  let modes: number[] | undefined;
  for (let merged = 0; merged < total; merged++) {
    if (options.signal?.aborted) throw new LucernaError('ABORTED', 'Tree building was cancelled');
    let best: [number, number] | undefined;
    let bestGain = -Infinity;
    for (const [u, a] of active) {
      for (const v of a.candidates) {
        const gain = beta - mergeCost(u, v);
        if (gain > bestGain || (gain === bestGain && best && pairKey(u, v) < pairKey(best[0], best[1]))) {
          bestGain = gain;
          best = [u, v];
        }
      }
    }
    // The paper stops here (no merge gains): the nodes still active are its root's children.
    if (bestGain <= 0 && modes === undefined) modes = [...active.keys()].sort((a, b) => a - b);
    const [u, v] = best as [number, number];
    const a = active.get(u) as Active;
    const b = active.get(v) as Active;
    const { stats, gradSum, unitSum } = union(a, b);
    const samples = [...(nodes[u] as TreeNode).samples, ...(nodes[v] as TreeNode).samples];
    const fit = fitMerged({ stats, gradSum, unitSum }, samples, rationales, lambda0, tolerance, scale, pairDot(u, v));
    const id = nodes.length;
    const pu = rows?.get(u);
    const pv = rows?.get(v);
    if (rows && pu && pv) {
      rows.set(
        id,
        pu.map((d, i) => d + (pv[i] as number)),
      );
      rows.delete(u);
      rows.delete(v);
    }
    nodes.push({ id, children: [u, v], samples, mode: fit.mode, bias: fit.bias, size: samples.length });
    active.delete(u);
    active.delete(v);
    for (const [, o] of active) {
      const had = o.candidates.delete(u) || o.candidates.delete(v);
      o.candidates.delete(v);
      if (had) o.candidates.add(id);
    }
    active.set(id, { stats, gradSum, unitSum, objective: fit.objective, candidates: new Set() });
    (active.get(id) as Active).candidates = nearest(id);
    for (const [o, rest] of active) if (o !== id && rest.candidates.size === 0) rest.candidates = nearest(o);
    options.onProgress?.(merged + 1, total);
  }
  return { nodes, root: nodes.length - 1, filters, modes: modes ?? [nodes.length - 1], ...(normalise ? { scale } : {}) };
}
