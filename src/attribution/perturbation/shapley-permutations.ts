/**
 * Shapley values by antithetic permutation sampling (Mitchell, Cooper, Frank & Holmes 2022,
 * "Sampling Permutations for Shapley Value Estimation", https://arxiv.org/abs/2104.12199, and
 * Covert & Lee 2021, "Improving KernelSHAP", https://arxiv.org/abs/2012.01536, on paired
 * sampling): a random order of the K players is walked from the empty coalition to the full one,
 * and so is its reverse; each player gets the score change when it joins, averaged over the walks.
 *
 * The reverse walk visits the complements of the forward walk's coalitions, so a pair costs
 * 2(K − 1) scores besides the empty and full coalition. Every walk telescopes to
 * f(full) − f(empty), so efficiency holds exactly, and a pair gives the exact Shapley values of any
 * game without interactions of order three or more (a pairwise term's credit is split ½–½ between
 * a walk and its reverse). Consecutive coalitions of a walk differ in one player, so each
 * difference has far less variance than the scores the kernel regression fits.
 */
import { seededRandom } from '../../tensor/random.js';
import type { CoalitionSet } from './superpixel-sampling.js';

/** The coalitions of antithetic walks, and the orders that made them. */
export interface PermutationWalks {
  /**
   * Rows to score: the empty coalition first, then per pair the forward walk's coalitions of sizes
   * 1..K − 1 followed by the reverse walk's of the same sizes (the full coalition is not scored:
   * the clean input's score is known).
   */
  readonly set: CoalitionSet;
  /** One random order of the players per pair. */
  readonly orders: readonly Int32Array[];
}

/**
 * Antithetic pairs a budget of `samples` scores buys for `features` players: ⌊samples / 2(K − 1)⌋,
 * at least 1 (0 when K = 1, where no walk has an inner coalition).
 *
 * @example `walkPairs(44, 711); // 8 (688 scores)`
 */
export function walkPairs(features: number, samples: number): number {
  if (features <= 1) return 0;
  return Math.max(1, Math.floor(samples / (2 * (features - 1))));
}

/**
 * A uniformly random order of `n` players (Fisher–Yates), the walk order of the permutation
 * estimator (Castro, Gómez & Tejada 2009, https://doi.org/10.1016/j.cor.2008.04.004).
 *
 * @example
 * ```ts
 * randomOrder(4, Math.random); // e.g. Int32Array [2, 0, 3, 1]
 * ```
 */
export function randomOrder(n: number, next: () => number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/** Player at step `t` (0-based) of a walk: the order forwards, or backwards for the reverse walk. */
const playerAt = (order: Int32Array, t: number, reverse: boolean): number => order[reverse ? order.length - 1 - t : t] as number;

/**
 * The coalitions of `pairs` antithetic walks over `features` players, reproducible from `seed`.
 *
 * @example
 * ```ts
 * const walks = permutationWalks(5, 2, 1); // walks.set.count === 1 + 2 · 2 · 4
 * ```
 */
export function permutationWalks(features: number, pairs: number, seed: number): PermutationWalks {
  const next = seededRandom(seed);
  const inner = Math.max(0, features - 1);
  const count = 1 + 2 * pairs * inner;
  const z = new Uint8Array(count * features);
  const orders: Int32Array[] = [];
  let row = 1;
  for (let p = 0; p < pairs; p++) {
    const order = randomOrder(features, next);
    orders.push(order);
    for (const reverse of [false, true]) {
      const mask = new Uint8Array(features);
      for (let t = 0; t < inner; t++) {
        mask[playerAt(order, t, reverse)] = 1;
        z.set(mask, row * features);
        row++;
      }
    }
  }
  return { set: { z, count, features }, orders };
}

/**
 * Shapley values from the walks' scores: `scores[0]` is the empty coalition's, the others follow
 * the rows of {@link permutationWalks}; `full` is the full coalition's score. With no walk (K = 1)
 * the one player gets `full − scores[0]`.
 *
 * @example
 * ```ts
 * const phi = walkShapley(walks, scores, fullScore); // Σ phi = fullScore − scores[0]
 * ```
 */
export function walkShapley(walks: PermutationWalks, scores: ArrayLike<number>, full: number): Float64Array {
  const k = walks.set.features;
  const phi = new Float64Array(k);
  const empty = scores[0] as number;
  if (walks.orders.length === 0) {
    phi.fill((full - empty) / Math.max(1, k));
    return phi;
  }
  let row = 1;
  for (const order of walks.orders) {
    for (const reverse of [false, true]) {
      let before = empty;
      for (let t = 0; t < k; t++) {
        const after = t < k - 1 ? (scores[row++] as number) : full;
        const player = playerAt(order, t, reverse);
        phi[player] = (phi[player] as number) + after - before;
        before = after;
      }
    }
  }
  const walkCount = 2 * walks.orders.length;
  for (let i = 0; i < k; i++) phi[i] = (phi[i] as number) / walkCount;
  return phi;
}
