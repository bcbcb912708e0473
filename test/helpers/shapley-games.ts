/**
 * Exact Shapley values by brute force and the scoring of permutation walks with a game given as
 * v(bitmask), shared by the Shapley estimator tests.
 */
import type { permutationWalks } from '../../src/attribution/perturbation/shapley-permutations.js';

/** Brute-force Shapley values of a game on `k` players given as v(bitmask). */
export function bruteShapley(k: number, v: (s: number) => number): Float64Array {
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  const phi = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    for (let s = 0; s < 1 << k; s++) {
      if ((s >> i) & 1) continue;
      let size = 0;
      for (let j = 0; j < k; j++) size += (s >> j) & 1;
      phi[i] = (phi[i] as number) + ((fact(size) * fact(k - size - 1)) / fact(k)) * (v(s | (1 << i)) - v(s));
    }
  }
  return phi;
}

/** Scores the walks' rows with v (row bytes → bitmask). */
export function scoreWalks(walks: ReturnType<typeof permutationWalks>, v: (s: number) => number): Float64Array {
  const { z, count, features } = walks.set;
  return Float64Array.from({ length: count }, (_, r) => {
    let s = 0;
    for (let j = 0; j < features; j++) if (z[r * features + j]) s |= 1 << j;
    return v(s);
  });
}

/** Player i's bit in coalition s. */
export const bit = (s: number, i: number) => (s >> i) & 1;
