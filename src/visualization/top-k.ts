/**
 * A bounded min-heap that keeps the k items with the highest scores seen so far, in O(log k) per
 * offer: the per-channel memory of top-activating patches over a stream of images.
 */

/** One kept item. */
export interface Scored<T> {
  readonly score: number;
  readonly item: T;
  /** Arrival order, so equal scores keep the earlier item first. */
  readonly order: number;
}

/** True when a ranks below b (lower score, or equal score and later). */
function below<T>(a: Scored<T>, b: Scored<T>): boolean {
  return a.score < b.score || (a.score === b.score && a.order > b.order);
}

/**
 * Keeps the `k` best-scoring items.
 *
 * @example
 * ```ts
 * const top = new TopK<string>(3);
 * for (const [name, score] of results) top.offer(score, name);
 * top.sorted(); // best first
 * ```
 */
export class TopK<T> {
  private readonly heap: Scored<T>[] = [];
  private arrivals = 0;

  constructor(readonly k: number) {}

  /** Number of items kept. */
  get size(): number {
    return this.heap.length;
  }

  /** Offers an item; returns true when it was kept. NaN scores are never kept. */
  offer(score: number, item: T): boolean {
    if (Number.isNaN(score) || this.k <= 0) return false;
    const entry: Scored<T> = { score, item, order: this.arrivals++ };
    if (this.heap.length < this.k) {
      this.heap.push(entry);
      this.up(this.heap.length - 1);
      return true;
    }
    if (!below(this.heap[0] as Scored<T>, entry)) return false;
    this.heap[0] = entry;
    this.down(0);
    return true;
  }

  /** The kept items, best first. */
  sorted(): Scored<T>[] {
    return [...this.heap].sort((a, b) => (below(a, b) ? 1 : below(b, a) ? -1 : 0));
  }

  private up(i: number): void {
    let at = i;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!below(this.heap[at] as Scored<T>, this.heap[parent] as Scored<T>)) break;
      this.swap(at, parent);
      at = parent;
    }
  }

  private down(i: number): void {
    let at = i;
    for (;;) {
      const l = 2 * at + 1;
      const r = l + 1;
      let least = at;
      if (l < this.heap.length && below(this.heap[l] as Scored<T>, this.heap[least] as Scored<T>)) least = l;
      if (r < this.heap.length && below(this.heap[r] as Scored<T>, this.heap[least] as Scored<T>)) least = r;
      if (least === at) return;
      this.swap(at, least);
      at = least;
    }
  }

  private swap(a: number, b: number): void {
    const t = this.heap[a] as Scored<T>;
    this.heap[a] = this.heap[b] as Scored<T>;
    this.heap[b] = t;
  }
}
