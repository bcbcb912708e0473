/**
 * Antithetic permutation walks with a fitted control variate (Goldwasser & Hooker 2023,
 * "Stabilizing Estimates of Shapley Values with Control Variates", https://arxiv.org/abs/2310.07672):
 * the walks' estimate minus a surrogate game's walk estimate plus the surrogate's exact Shapley
 * values, from the same scored rows (no extra model call).
 *
 * The surrogate must have terms of order three: along an antithetic pair of walks, a linear or
 * pairwise term is credited exactly (the pair's average contribution of player i is
 * a_i + ½ Σ_j b_ij, its Shapley value), so a quadratic surrogate would change nothing. The
 * surrogate here is Σ_T θ_T Π_{j∈T} z_j over the connected triples T of the superpixel adjacency
 * (a~b~c: the triangles and the paths of two edges). For player i ∈ T, T's pair contribution is
 * θ_T · u with u = ½[T∖i all before i] + ½[T∖i all after i]; E u = 1/3 (its Shapley share), and
 * the three players' u sum to 1 in every pair, so subtracting θ_T(u − 1/3) keeps efficiency exact.
 *
 * θ is a ridge fit of the pairs' contributions on the centred u; each pair is corrected with the θ
 * fitted on the OTHER pairs (leave one pair out), so θ is independent of the pair it corrects and the
 * estimate stays unbiased for any game.
 */
import type { Segmentation } from '../../segmentation/slic.js';
import { solveSymmetric } from './regression.js';
import { type PermutationWalks, walkShapley } from './shapley-permutations.js';

/**
 * Default ridge of θ, relative to the mean diagonal of the normal matrix. Chosen on the selection
 * images and seeds (../shared/images camera, horse, rocket; seeds 101–106) among 0.01–10; see
 * BENCHMARKS.md "KernelSHAP and LIME with surrogate control variates".
 */
export const DEFAULT_CONTROL_RIDGE = 3;

/**
 * The pairs of segments that share a pixel edge (4-neighbourhood), each once as [i, j] with i < j,
 * in increasing order.
 *
 * @example
 * ```ts
 * superpixelAdjacency({ labels: Int32Array.from([0, 1, 2, 2]), count: 3, height: 2, width: 2 }); // [[0, 1], [0, 2], [1, 2]]
 * ```
 */
export function superpixelAdjacency(seg: Segmentation): [number, number][] {
  const { labels, width, height, count } = seg;
  const seen = new Set<number>();
  const add = (a: number, b: number) => {
    if (a !== b) seen.add(Math.min(a, b) * count + Math.max(a, b));
  };
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const l = labels[y * width + x] as number;
      if (x + 1 < width) add(l, labels[y * width + x + 1] as number);
      if (y + 1 < height) add(l, labels[(y + 1) * width + x] as number);
    }
  return [...seen].sort((a, b) => a - b).map((v) => [Math.floor(v / count), v % count]);
}

/**
 * The connected triples of `features` players under `edges`: every {a, b, c} with a~b and b~c for
 * some ordering (triangles and two-edge paths), each once, sorted.
 *
 * @example
 * ```ts
 * connectedTriples(4, [[0, 1], [1, 2], [2, 3]]); // [[0, 1, 2], [1, 2, 3]]
 * ```
 */
export function connectedTriples(features: number, edges: readonly (readonly [number, number])[]): number[][] {
  const nb = Array.from({ length: features }, () => new Set<number>());
  for (const [a, b] of edges) {
    nb[a]?.add(b);
    nb[b]?.add(a);
  }
  const keys = new Set<number>();
  for (let b = 0; b < features; b++) {
    const around = [...(nb[b] as Set<number>)];
    for (let x = 0; x < around.length; x++)
      for (let y = x + 1; y < around.length; y++) {
        const t = [around[x] as number, b, around[y] as number].sort((p, q) => p - q);
        keys.add(((t[0] as number) * features + (t[1] as number)) * features + (t[2] as number));
      }
  }
  return [...keys].sort((p, q) => p - q).map((k) => [Math.floor(k / (features * features)), Math.floor(k / features) % features, k % features]);
}

/** A player's centred control features in one pair: [term index, u − 1/|T|] for each term holding it. */
type SparseRow = [number, number][];

/**
 * Per pair p and player i: the pair's mean contribution c[p][i] (forward and reverse walk), from
 * the walks' scores (row 0 the baseline) and the full input's score.
 *
 * @example
 * ```ts
 * const c = pairContributions(permutationWalks(4, 2, 0), scores, full); // c[0][i]: pair 0's credit to player i
 * ```
 */
export function pairContributions(walks: PermutationWalks, scores: ArrayLike<number>, full: number): Float64Array[] {
  const k = walks.set.features;
  let row = 1;
  return walks.orders.map((order) => {
    const c = new Float64Array(k);
    for (const reverse of [false, true]) {
      let before = scores[0] as number;
      for (let t = 0; t < k; t++) {
        const after = t < k - 1 ? (scores[row++] as number) : full;
        const player = order[reverse ? k - 1 - t : t] as number;
        c[player] = (c[player] as number) + (after - before) / 2;
        before = after;
      }
    }
    return c;
  });
}

/** The centred features ũ of every player for the pair walking `order`. */
function controlRows(order: Int32Array, terms: readonly number[][]): SparseRow[] {
  const k = order.length;
  const pos = new Int32Array(k);
  order.forEach((p, t) => {
    pos[p] = t;
  });
  const rows: SparseRow[] = Array.from({ length: k }, () => []);
  terms.forEach((term, t) => {
    for (const i of term) {
      let before = 0;
      for (const j of term) if (j !== i && (pos[j] as number) < (pos[i] as number)) before++;
      const u = (before === term.length - 1 ? 0.5 : 0) + (before === 0 ? 0.5 : 0);
      rows[i]?.push([t, u - 1 / term.length]);
    }
  });
  return rows;
}

/** Ridge θ of c − (player means) on the player-centred ũ over the pairs `use`. */
function fitTheta(c: readonly Float64Array[], rows: readonly SparseRow[][], use: readonly number[], n: number, ridge: number): Float64Array {
  const k = (c[0] as Float64Array).length;
  const a = new Float64Array(n * n);
  const b = new Float64Array(n);
  for (let i = 0; i < k; i++) {
    let cMean = 0;
    const fMean = new Map<number, number>();
    for (const p of use) {
      cMean += (c[p]?.[i] as number) / use.length;
      for (const [t, v] of rows[p]?.[i] ?? []) fMean.set(t, (fMean.get(t) ?? 0) + v / use.length);
    }
    for (const p of use) {
      const y = (c[p]?.[i] as number) - cMean;
      const f = (rows[p]?.[i] ?? []).map(([t, v]) => [t, v - (fMean.get(t) ?? 0)] as const);
      for (const [t, v] of f) {
        b[t] = (b[t] as number) + v * y;
        for (const [s, w] of f) a[t * n + s] = (a[t * n + s] as number) + v * w;
      }
    }
  }
  let trace = 0;
  for (let t = 0; t < n; t++) trace += a[t * n + t] as number;
  const shift = trace > 0 ? (ridge * trace) / n : 1;
  for (let t = 0; t < n; t++) a[t * n + t] = (a[t * n + t] as number) + shift;
  return solveSymmetric(a, n, b).x;
}

/**
 * Shapley values from antithetic walks with the connected-triple control variate: as
 * {@link walkShapley} (same rows, same layout of `scores`; `full` is the full coalition's score),
 * each pair's contributions corrected by θ fitted on the other pairs (`ridge` relative to the
 * normal matrix's mean diagonal, default {@link DEFAULT_CONTROL_RIDGE}). Σφ = full − scores[0]
 * exactly. With fewer than two pairs or no triple it is the plain walk estimate.
 *
 * @example
 * ```ts
 * const walks = permutationWalks(44, 8, 1);
 * const terms = connectedTriples(44, superpixelAdjacency(segmentation));
 * const phi = controlVariateShapley(walks, scores, fullScore, terms); // Σ phi = fullScore − scores[0]
 * ```
 */
export function controlVariateShapley(
  walks: PermutationWalks,
  scores: ArrayLike<number>,
  full: number,
  terms: readonly number[][],
  ridge = DEFAULT_CONTROL_RIDGE,
): Float64Array {
  const pairs = walks.orders.length;
  if (pairs < 2 || terms.length === 0) return walkShapley(walks, scores, full);
  const k = walks.set.features;
  const c = pairContributions(walks, scores, full);
  const rows = walks.orders.map((o) => controlRows(o, terms));
  const all = Array.from({ length: pairs }, (_, p) => p);
  const phi = new Float64Array(k);
  for (const p of all) {
    const theta = fitTheta(
      c,
      rows,
      all.filter((q) => q !== p),
      terms.length,
      ridge,
    );
    for (let i = 0; i < k; i++) {
      let v = c[p]?.[i] as number;
      for (const [t, u] of rows[p]?.[i] ?? []) v -= (theta[t] as number) * u;
      phi[i] = (phi[i] as number) + v / pairs;
    }
  }
  return phi;
}
