/**
 * Sample orders: seeded shuffles per epoch and the validation split, as pure functions.
 */
import { chunkSlices } from '../tensor/chunks.js';
import { seededRandom } from '../tensor/random.js';

/**
 * The sample order of one epoch: a Fisher–Yates shuffle seeded by (seed, epoch), or file order.
 *
 * @example
 * ```ts
 * epochOrder(5, { shuffle: true, seed: 0, epoch: 1 }); // a permutation of 0..4
 * ```
 */
export function epochOrder(size: number, o: { readonly shuffle: boolean; readonly seed: number; readonly epoch: number }): number[] {
  const order = Array.from({ length: size }, (_, i) => i);
  if (!o.shuffle) return order;
  const random = seededRandom((o.seed * 1_000_003 + o.epoch * 7_919 + 1) >>> 0);
  for (let i = size - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  return order;
}

/**
 * Splits 0..size−1 into training and validation indices: a seeded random `fraction` of the
 * samples (at least one when the fraction is positive) is held out; both lists stay sorted.
 *
 * @example
 * ```ts
 * validationSplit(10, 0.2, 0); // { train: [8 indices], val: [2 indices] }
 * ```
 */
export function validationSplit(size: number, fraction: number, seed: number): { train: number[]; val: number[] } {
  if (fraction <= 0) return { train: Array.from({ length: size }, (_, i) => i), val: [] };
  const count = Math.min(size - 1, Math.max(1, Math.round(size * fraction)));
  const held = new Set(epochOrder(size, { shuffle: true, seed: seed + 17, epoch: 0 }).slice(0, count));
  const train: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < size; i++) (held.has(i) ? val : train).push(i);
  return { train, val };
}

/**
 * Cuts an order into batches of `batchSize` (the last may be shorter).
 *
 * @example
 * ```ts
 * batchesOf([3, 1, 2, 0, 4], 2); // [[3, 1], [2, 0], [4]]
 * ```
 */
export function batchesOf(order: readonly number[], batchSize: number): number[][] {
  return chunkSlices(order, batchSize);
}
