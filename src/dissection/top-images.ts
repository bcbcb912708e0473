/**
 * The few images that excite each unit most (by the maximum of its map), with the map itself, so
 * a report can draw the unit's thresholded mask over them without another forward pass.
 */

/** One kept image of a unit. */
export interface TopImage {
  /** The image's index in the data (the shard's item list). */
  readonly index: number;
  readonly name: string;
  /** Maximum of the unit's map. */
  readonly max: number;
  /** The unit's `h × w` map. */
  readonly map: Float32Array;
}

/** Saved state: per unit, its top images (maps as plain arrays). */
export type TopImagesState = { readonly k: number; readonly units: { name: string; index: number; max: number; map: number[] }[][] };

/**
 * Per unit, the `k` images with the largest map maximum (ties to the earlier image).
 *
 * @example
 * ```ts
 * const top = new TopImages(512, 4);
 * top.offer(act, 0, 7, 7, 0, 'img1.png');
 * top.of(3); // unit 3's images, best first
 * ```
 */
export class TopImages {
  private readonly lists: TopImage[][];

  constructor(
    readonly units: number,
    readonly k: number,
  ) {
    this.lists = Array.from({ length: units }, () => []);
  }

  private insert(u: number, entry: TopImage): void {
    const list = this.lists[u] as TopImage[];
    if (list.length === this.k && !(entry.max > (list.at(-1) as TopImage).max)) return;
    let at = list.length;
    while (at > 0 && entry.max > (list[at - 1] as TopImage).max) at--;
    list.splice(at, 0, entry);
    if (list.length > this.k) list.pop();
  }

  /** Offers one image's maps `[units, h, w]` from `offset`; `maxima`, when given, holds each map's maximum. */
  offer(act: Float32Array, offset: number, h: number, w: number, index: number, name: string, maxima?: Float32Array): void {
    const plane = h * w;
    for (let u = 0; u < this.units; u++) {
      const base = offset + u * plane;
      let max = maxima ? (maxima[u] as number) : Number.NEGATIVE_INFINITY;
      if (!maxima) for (let i = 0; i < plane; i++) if ((act[base + i] as number) > max) max = act[base + i] as number;
      const list = this.lists[u] as TopImage[];
      if (list.length === this.k && !(max > (list.at(-1) as TopImage).max)) continue;
      this.insert(u, { index, name, max, map: act.slice(base, base + plane) });
    }
  }

  /** A unit's images, best first. */
  of(unit: number): readonly TopImage[] {
    return this.lists[unit] ?? [];
  }

  /** Folds in another shard's top images (their indices are the other shard's). */
  merge(other: TopImages): void {
    for (let u = 0; u < this.units; u++) for (const e of other.of(u)) this.insert(u, e);
  }

  state(): TopImagesState {
    return { k: this.k, units: this.lists.map((l) => l.map((e) => ({ name: e.name, index: e.index, max: e.max, map: Array.from(e.map) }))) };
  }

  static fromState(s: TopImagesState): TopImages {
    const t = new TopImages(s.units.length, s.k);
    s.units.forEach((list, u) => {
      for (const e of list) t.insert(u, { ...e, map: Float32Array.from(e.map) });
    });
    return t;
  }
}
