/**
 * Where pass 1 of a dissection can leave each batch's activations so that pass 2 reads them back
 * instead of running the model again (NetDissect-Lite keeps an on-disk memmap for the same
 * purpose). The Node implementation writes one temporary file (`io/activation-cache.ts`); without
 * a cache, pass 2 recomputes the forward pass.
 */

/** One stored batch: the items' indices and, per layer, their activations `[count, C, h, w]`. */
export interface CachedBatch {
  readonly indices: readonly number[];
  readonly activations: readonly Float32Array[];
}

/** A sequential store of batches, written once in pass 1 and read once, in order, in pass 2. */
export interface ActivationCache extends AsyncDisposable {
  /** Appends a batch; `activations[l]` holds at least `indices.length` rows of layer l. */
  put(indices: readonly number[], activations: readonly Float32Array[], rowSizes: readonly number[]): Promise<void>;
  /** The stored batches, in the order they were put. */
  batches(): AsyncIterable<CachedBatch>;
}

/**
 * An in-memory cache, for small sets and tests (it holds every activation: use the on-disk one for
 * real data).
 *
 * @example
 * ```ts
 * await dissect(model, data, { layers, cache: memoryActivationCache() });
 * ```
 */
export function memoryActivationCache(): ActivationCache {
  const stored: CachedBatch[] = [];
  return {
    async put(indices, activations, rowSizes) {
      stored.push({ indices: [...indices], activations: activations.map((a, l) => a.slice(0, indices.length * (rowSizes[l] as number))) });
    },
    async *batches() {
      yield* stored;
    },
    async [Symbol.asyncDispose]() {
      stored.length = 0;
    },
  };
}
