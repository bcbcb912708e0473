/**
 * Read-ahead over a known order of loads: asking for one item starts the loads of the next few,
 * so decoding (sharp, on libuv's threads) overlaps the caller's work on the current batch.
 */

/** Loads by index with read-ahead. */
export interface Lookahead<T> {
  /** The item at `index`: its started load, or a new one when it was not read ahead. */
  get(index: number): Promise<T>;
}

/**
 * Read-ahead of `window` items along `order`. A load that fails rejects only when asked for (an
 * unused failed load is not an unhandled rejection).
 *
 * @example
 * ```ts
 * const labels = lookahead([0, 1, 2, 3], (i) => items[i].labels(), 8);
 * const first = await Promise.all([0, 1].map(labels.get));
 * ```
 */
export function lookahead<T>(order: readonly number[], load: (index: number) => Promise<T>, window: number): Lookahead<T> {
  const started = new Map<number, Promise<T>>();
  const position = new Map(order.map((index, k) => [index, k]));
  let next = 0;
  const start = (index: number) => {
    const p = load(index);
    p.catch(() => undefined);
    started.set(index, p);
  };
  return {
    get(index) {
      const k = position.get(index);
      if (k !== undefined) {
        for (; next < order.length && next <= k + window; next++) {
          const i = order[next] as number;
          if (!started.has(i)) start(i);
        }
      }
      const p = started.get(index) ?? load(index);
      started.delete(index);
      return p;
    },
  };
}
