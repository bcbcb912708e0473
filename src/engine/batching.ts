/**
 * The batching core: `total` rows cut into chunks of at most `batch` (by `chunkRanges`, the one
 * chunk loop, in `tensor/chunks.ts` so that layers which may not import the engine, such as
 * `render/`, cut lists the same way), with cancellation checked before each chunk and progress
 * reported after it ({@link forEachChunk}). Every method and metric that sends rows through the
 * engine in chunks uses it (memory stays bounded by the chunk; the caller owns the buffers and
 * what each chunk does). `test/health/one-batching-loop.test.ts` fails when a chunk loop is
 * written anywhere else.
 */
import { LucernaError, positiveInteger } from '../errors.js';
import { chunkRanges } from '../tensor/chunks.js';

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

/**
 * The one batch-size validator: `batchSize` (or `fallback` when it is not given) as a positive
 * integer, else a one-line `BAD_OPTION` error.
 *
 * @see https://arxiv.org/abs/1802.00614
 * @example
 * ```ts
 * const batch = validBatchSize(options.batchSize, 8);
 * ```
 */
export function validBatchSize(batchSize: number | undefined, fallback?: number): number {
  return positiveInteger(batchSize ?? fallback, 'The batch size');
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
