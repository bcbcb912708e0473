/**
 * The one chunk loop: rows `[0, total)` cut into consecutive chunks of `batch`. It has no
 * dependencies, so every layer cuts lists the same way: the engine's batching core
 * (`engine/batching.ts`, which adds cancellation and progress per chunk) runs on it, and so does
 * code that only cuts a list (`render/`, which may not import the engine, datasets, requests).
 */

/** One chunk of a run: rows `[first, first + count)`. */
export interface Chunk {
  readonly first: number;
  readonly count: number;
}

/**
 * The chunks of `[0, total)`, each `batch` rows but the last (which may be shorter): the one place
 * where rows are cut into batches. `batch` is floored, and at least 1.
 *
 * @see https://arxiv.org/abs/1802.00614 (every method of the survey runs its rows in such chunks)
 * @example
 * ```ts
 * [...chunkRanges(5, 2)]; // [{ first: 0, count: 2 }, { first: 2, count: 2 }, { first: 4, count: 1 }]
 * ```
 */
export function* chunkRanges(total: number, batch: number): Generator<Chunk> {
  const size = Math.max(1, Math.floor(batch));
  for (let first = 0; first < total; first += size) yield { first, count: Math.min(size, total - first) };
}

/**
 * `items` cut into consecutive slices of `batch` (the last may be shorter), by {@link chunkRanges}.
 *
 * @see https://arxiv.org/abs/1802.00614
 * @example
 * ```ts
 * chunkSlices([3, 1, 2, 0, 4], 2); // [[3, 1], [2, 0], [4]]
 * ```
 */
export function chunkSlices<T>(items: readonly T[], batch: number): T[][] {
  return Array.from(chunkRanges(items.length, batch), ({ first, count }) => items.slice(first, first + count));
}
