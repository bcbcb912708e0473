/**
 * Per-unit activation thresholds of Network Dissection (Bau et al. 2017, https://arxiv.org/abs/1704.05796),
 * with NetDissect-Lite's convention: it reads `readout(1000)[int(1000·(1 − quantile) − 1)]`, i.e.
 * the quantile at level q = ⌊1000·(1 − quantile) − 1⌋ / 999 (994/999 for quantile 0.005) of all
 * N·h·w activations of the unit. The value at level q is read from the ascending sorted values
 * v[0 … n−1] at the fractional rank r = q·n − 0.5 clamped to [0, n − 1], linearly interpolated
 * between v[⌊r⌋] and v[⌊r⌋ + 1].
 *
 * Two mergeable stores per unit:
 * - {@link TopTail} (exact): only ranks ≥ ⌊r⌋ matter, so it keeps the ⌈(1 − q)·nMax⌉ + 2 largest
 *   values, where nMax bounds n over the whole data set. Two stores made with the same nMax merge
 *   exactly, so shards of one index merge to the single-run thresholds.
 * - {@link CompactorSketch} (past a memory budget): a deterministic compactor hierarchy (Manku,
 *   Rajagopalan & Lindsay 1998; Karnin, Lang & Liberty 2016 without the randomness). Compacting a
 *   sorted level of weight 2^h keeps every other item at weight 2^(h+1), which moves the weighted
 *   rank of any value by at most 2^h; the sketch sums these into a stated rank-error bound.
 */
import { LucernaError } from '../errors.js';

/**
 * The quantile level NetDissect-Lite reads for a top `quantile` (e.g. 0.005 → 994/999).
 *
 * @example
 * ```ts
 * thresholdLevel(0.005); // 994 / 999
 * ```
 */
export function thresholdLevel(quantile: number): number {
  if (!(quantile > 0 && quantile < 1)) throw new LucernaError('BAD_OPTION', `The quantile must be in (0, 1), got ${quantile}`, 'NetDissect uses 0.005');
  const index = Math.trunc(1000 * (1 - quantile) - 1);
  if (index < 0) throw new LucernaError('BAD_OPTION', `The quantile ${quantile} is too large`, 'Use a quantile below 0.999');
  return index / 999;
}

/**
 * The fractional 0-based rank of level `q` among `n` sorted values: q·n − 0.5 clamped to [0, n − 1].
 *
 * @example
 * ```ts
 * fractionalRank(0.5, 4); // 1.5
 * ```
 */
export function fractionalRank(q: number, n: number): number {
  return Math.min(Math.max(q * n - 0.5, 0), n - 1);
}

/**
 * The value at level `q` of ascending sorted values, linearly interpolated at {@link fractionalRank}.
 *
 * @example
 * ```ts
 * quantileOfSorted(Float64Array.of(0, 10, 20, 30), 0.5); // rank 1.5 → 15
 * ```
 */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const r = fractionalRank(q, n);
  const lo = Math.floor(r);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo] as number;
  return a + (r - lo) * ((sorted[hi] as number) - a);
}

/** The state of one unit's store, as saved between a shard's passes. */
export type QuantileState =
  | { readonly kind: 'top-tail'; readonly n: number; readonly keep: number; readonly values: number[] }
  | { readonly kind: 'compactor'; readonly n: number; readonly capacity: number; readonly levels: number[][]; readonly rankError: number };

/** A mergeable store of one unit's activations that answers the threshold query. */
export interface UnitQuantiles {
  /** Values added so far. */
  readonly n: number;
  /** Adds `values[start … end)`. */
  add(values: Float32Array, start: number, end: number): void;
  /** Folds another store of the same kind and parameters into this one. */
  merge(other: UnitQuantiles): void;
  /** The interpolated value at level q. */
  quantile(q: number): number;
  /** A bound on the rank error of {@link quantile} (0 when exact). */
  readonly rankError: number;
  state(): QuantileState;
}

/**
 * The exact store: the `keep` largest values seen, kept in a buffer of 2·keep that is cut back to
 * the top `keep` when full (sort, keep the tail), so adding costs O(log keep) amortised.
 *
 * @example
 * ```ts
 * const t = new TopTail(tailSize(thresholdLevel(0.005), 49 * 1000));
 * t.add(map, 0, 49);
 * t.quantile(thresholdLevel(0.005));
 * ```
 */
export class TopTail implements UnitQuantiles {
  private buffer: Float32Array;
  private length = 0;
  private floor = Number.NEGATIVE_INFINITY;
  n = 0;
  readonly rankError = 0;

  constructor(readonly keep: number) {
    this.buffer = new Float32Array(Math.max(2 * keep, 16));
  }

  add(values: Float32Array, start: number, end: number): void {
    this.n += end - start;
    const floor = this.floor;
    for (let i = start; i < end; i++) {
      const v = values[i] as number;
      if (v > floor) {
        if (this.length === this.buffer.length) this.cut();
        this.buffer[this.length++] = v;
      }
    }
  }

  private cut(): void {
    const live = this.buffer.subarray(0, this.length).sort();
    if (this.length > this.keep) {
      live.copyWithin(0, this.length - this.keep, this.length);
      this.length = this.keep;
      this.floor = this.buffer[0] as number;
    }
  }

  merge(other: UnitQuantiles): void {
    if (!(other instanceof TopTail) || other.keep !== this.keep)
      throw new LucernaError('BAD_FILE', 'Cannot merge threshold stores made with different settings');
    const values = other.sortedTail();
    this.n += other.n;
    for (const v of values) {
      if (this.length === this.buffer.length) this.cut();
      this.buffer[this.length++] = v;
    }
  }

  /** The kept values, ascending. */
  sortedTail(): Float32Array {
    this.cut();
    return this.buffer.slice(0, this.length);
  }

  quantile(q: number): number {
    const n = this.n;
    if (n === 0) return Number.NaN;
    const tail = this.sortedTail();
    const r = fractionalRank(q, n);
    const lo = Math.floor(r);
    const hi = Math.min(lo + 1, n - 1);
    // Ascending rank k is tail index k − (n − tail.length).
    const skip = n - tail.length;
    if (lo < skip) throw new LucernaError('BAD_PLAN', `The threshold store kept ${tail.length} of ${n} values, too few for level ${q}`);
    const a = tail[lo - skip] as number;
    return a + (r - lo) * ((tail[hi - skip] as number) - a);
  }

  state(): QuantileState {
    return { kind: 'top-tail', n: this.n, keep: this.keep, values: Array.from(this.sortedTail()) };
  }
}

/**
 * How many largest values {@link TopTail} must keep for level `q` when at most `nMax` values come.
 *
 * @example
 * ```ts
 * tailSize(994 / 999, 49_000); // 247
 * ```
 */
export function tailSize(q: number, nMax: number): number {
  return Math.ceil((1 - q) * nMax) + 2;
}

/**
 * The approximate store: levels of at most `capacity` values, level h of weight 2^h. A full level
 * is sorted and every other value (alternating the offset) moves up, adding 2^h to the rank-error
 * bound. Exact until the first compaction.
 *
 * @example
 * ```ts
 * const s = new CompactorSketch(4096);
 * s.add(map, 0, map.length);
 * s.quantile(0.5); // within s.rankError ranks of the exact answer
 * ```
 */
export class CompactorSketch implements UnitQuantiles {
  levels: number[][] = [[]];
  private readonly offsets: number[] = [0];
  n = 0;
  rankError = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new LucernaError('BAD_OPTION', `The sketch capacity must be an integer ≥ 2, got ${capacity}`);
  }

  add(values: Float32Array, start: number, end: number): void {
    const level0 = this.levels[0] as number[];
    for (let i = start; i < end; i++) {
      level0.push(values[i] as number);
      if (level0.length >= this.capacity) this.compact(0);
    }
    this.n += end - start;
  }

  private compact(h: number): void {
    const level = (this.levels[h] as number[]).sort((a, b) => a - b);
    const odd = level.length % 2 === 1 ? (level.pop() as number) : undefined;
    const offset = this.offsets[h] ?? 0;
    this.offsets[h] = 1 - offset;
    if (this.levels.length === h + 1) this.levels.push([]);
    const up = this.levels[h + 1] as number[];
    for (let i = offset; i < level.length; i += 2) up.push(level[i] as number);
    this.levels[h] = odd === undefined ? [] : [odd];
    this.rankError += 2 ** h;
    if (up.length >= this.capacity) this.compact(h + 1);
  }

  merge(other: UnitQuantiles): void {
    if (!(other instanceof CompactorSketch) || other.capacity !== this.capacity)
      throw new LucernaError('BAD_FILE', 'Cannot merge threshold stores made with different settings');
    this.n += other.n;
    this.rankError += other.rankError;
    other.levels.forEach((values, h) => {
      while (this.levels.length <= h) this.levels.push([]);
      (this.levels[h] as number[]).push(...values);
    });
    for (let h = 0; h < this.levels.length; h++) if ((this.levels[h] as number[]).length >= this.capacity) this.compact(h);
  }

  quantile(q: number): number {
    if (this.n === 0) return Number.NaN;
    const items: [number, number][] = [];
    this.levels.forEach((values, h) => {
      for (const v of values) items.push([v, 2 ** h]);
    });
    items.sort((a, b) => a[0] - b[0]);
    const total = items.reduce((s, it) => s + it[1], 0);
    const at = (rank: number): number => {
      let cum = 0;
      for (const [v, w] of items) {
        cum += w;
        if (cum > rank) return v;
      }
      return items.at(-1)?.[0] as number;
    };
    const r = fractionalRank(q, total);
    const lo = Math.floor(r);
    const a = at(lo);
    return a + (r - lo) * (at(Math.min(lo + 1, total - 1)) - a);
  }

  state(): QuantileState {
    return { kind: 'compactor', n: this.n, capacity: this.capacity, levels: this.levels.map((l) => [...l]), rankError: this.rankError };
  }
}

/**
 * Rebuilds a store from its saved state.
 *
 * @example
 * ```ts
 * const again = quantilesFromState(store.state());
 * ```
 */
export function quantilesFromState(state: QuantileState): UnitQuantiles {
  if (state.kind === 'top-tail') {
    const t = new TopTail(state.keep);
    t.add(Float32Array.from(state.values), 0, state.values.length);
    t.n = state.n;
    return t;
  }
  const s = new CompactorSketch(state.capacity);
  s.levels = state.levels.map((l) => [...l]);
  s.n = state.n;
  s.rankError = state.rankError;
  return s;
}
