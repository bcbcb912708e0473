/**
 * The one batching loop: `total` rows cut into chunks of at most `batch` ({@link chunkRanges}),
 * with cancellation checked before each chunk and progress reported after it
 * ({@link forEachChunk}). Every method and metric that sends rows through the engine in chunks
 * uses it (memory stays bounded by the chunk; the caller owns the buffers and what each chunk
 * does), and so does any other code that cuts a list into batches ({@link chunkSlices}).
 * `test/health/one-batching-loop.test.ts` fails when a chunk loop is written anywhere else.
 */
import { LucernaError } from '../errors.js';

/** Cancellation and progress of a chunked run. */
export interface ChunkControl {
  readonly signal?: AbortSignal;
  /** Called with (done, total) after each chunk. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Work done before this loop and the whole run's size, when the loop is part of a larger run. */
  readonly progress?: { readonly offset: number; readonly total: number };
}

/**
 * Throws an `ABORTED` error when the signal fired.
 *
 * @example
 * ```ts
 * throwIfAborted(options.signal);
 * ```
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LucernaError('ABORTED', 'The run was cancelled');
}

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

/**
 * Calls `body(first, count)` for consecutive chunks of `[0, total)`, each at most `batch` rows.
 *
 * @see https://arxiv.org/abs/1802.00614
 * @example
 * ```ts
 * await forEachChunk(n, 8, { signal, onProgress }, async (first, count) => {
 *   await session.run(rows(first, count));
 * });
 * ```
 */
export async function forEachChunk(
  total: number,
  batch: number,
  control: ChunkControl,
  body: (first: number, count: number) => Promise<void> | void,
): Promise<void> {
  for (const { first, count } of chunkRanges(total, batch)) {
    throwIfAborted(control.signal);
    await body(first, count);
    const offset = control.progress?.offset ?? 0;
    control.onProgress?.(offset + first + count, control.progress?.total ?? total);
  }
}
