/**
 * The tallies of Network Dissection (Bau et al. 2017, https://arxiv.org/abs/1704.05796), counted the
 * way NetDissect-Lite's `tally_job` counts them, one image at a time:
 * - `labelTotal[l]`: pixels of label l over every plane (a pixel counts once per plane it carries
 *   l in); an image-level label adds sh·sw per image. Label 0 (no label) is never counted in planes.
 * - A unit counts in an image only if its map's maximum exceeds its threshold. Its map is upsampled
 *   bilinearly (half-pixel centres, edges clamped) to the segmentation size and `mask = up > t`.
 * - `unitTotal[u]`: mask pixels; `both[u, l]`: mask pixels carrying l, once per plane; an image-level
 *   label takes the whole mask.
 * - `unitsCat[u, c]`: mask pixels of the images where the mask touches a label whose primary
 *   category is c, or where the image has an image-level label of primary category c.
 *
 * - Per image, the interpretable-CNN paper's part association (Zhang, Wu & Zhu 2018,
 *   https://arxiv.org/abs/1710.00935, §5.2.1): `present[l]` counts the images that carry l, and
 *   `associated[u, l]` the images where the IoU of the unit's mask with l on that image exceeds
 *   `associationIou` (the paper's 0.2): |mask ∩ l| / (|mask| + |l| − |mask ∩ l|), pixels counted once
 *   per plane, an image-level label covering the whole image. A unit silent on an image is not
 *   associated there. The unit's region is its NetDissect mask, or, with `associationDisc`, the
 *   union of round receptive fields around its cells above the threshold (`disc-region.ts`), as the
 *   paper draws it; NetDissect's counts always use the mask.
 *
 * All counts are sums over images, so tallies of disjoint image sets add ({@link Tally.merge}).
 */
import { linearTaps } from '../attribution/upsample.js';
import type { ImageLabels } from '../datasets/broden/labels.js';
import { LucernaError } from '../errors.js';
import { discRegion } from './disc-region.js';

/** Saved counts of a {@link Tally}. */
export interface TallyState {
  readonly units: number;
  readonly labels: number;
  readonly categories: number;
  readonly images: number;
  readonly both: number[];
  readonly unitTotal: number[];
  readonly unitsCat: number[];
  readonly labelTotal: number[];
  /** Per-image association counts; absent in tallies saved before they were counted. */
  readonly associationIou?: number;
  readonly associated?: number[];
  readonly present?: number[];
  /** The round region's radii as fractions of the image's height and width; absent: the upsampled mask. */
  readonly associationDisc?: readonly [number, number];
}

/** The IoU above which a unit's mask and a label are associated on an image: the paper's 0.2. */
export const ASSOCIATION_IOU = 0.2;

interface Taps {
  /** Output indices whose first tap is i: start[i] … start[i + 1] − 1. */
  readonly start: Int32Array;
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly l0: Float32Array;
  readonly l1: Float32Array;
}

function makeTaps(inSize: number, outSize: number): Taps {
  const t = linearTaps(inSize, outSize);
  const start = new Int32Array(inSize + 1);
  for (let v = 0, dst = 0; v <= inSize; v++) {
    while (dst < outSize && (t[dst]?.i0 as number) < v) dst++;
    start[v] = dst;
  }
  return {
    start,
    i0: Int32Array.from(t, (x) => x.i0),
    i1: Int32Array.from(t, (x) => x.i1),
    l0: Float32Array.from(t, (x) => x.lambda0),
    l1: Float32Array.from(t, (x) => x.lambda1),
  };
}

/** Taps by (input size, output size): a run meets only a few sizes. */
const TAPS = new Map<number, Taps>();

function taps(inSize: number, outSize: number): Taps {
  const key = inSize * 0x10000 + outSize;
  let t = TAPS.get(key);
  if (!t) TAPS.set(key, (t = makeTaps(inSize, outSize)));
  return t;
}

/**
 * The pixels of `map` (h × w) upsampled bilinearly to sh × sw (half-pixel centres, edges clamped,
 * as PyTorch's align_corners=False and PIL's bilinear resize) whose value exceeds `threshold`:
 * their flat indices into sh × sw (block by block, not in raster order), written to `out`; returns
 * how many.
 *
 * @example
 * ```ts
 * const out = new Int32Array(4 * 4);
 * const count = maskAbove(Float32Array.of(0, 1, 2, 3), 0, 2, 2, 4, 4, 1.5, out);
 * ```
 */
export function maskAbove(map: Float32Array, offset: number, h: number, w: number, sh: number, sw: number, threshold: number, out: Int32Array): number {
  const ty = taps(h, sh);
  const tx = taps(w, sw);
  // An upsampled value is a convex blend of a 2×2 block of the map, so it cannot exceed the block's
  // maximum: only blocks whose maximum exceeds the threshold are interpolated.
  let count = 0;
  for (let i = 0; i < h; i++) {
    const ys = ty.start[i] as number;
    const ye = ty.start[i + 1] as number;
    if (ys === ye) continue;
    const r0 = offset + i * w;
    const r1 = offset + Math.min(i + 1, h - 1) * w;
    for (let j = 0; j < w; j++) {
      const xs = tx.start[j] as number;
      const xe = tx.start[j + 1] as number;
      if (xs === xe) continue;
      const j1 = Math.min(j + 1, w - 1);
      const m00 = map[r0 + j] as number;
      const m01 = map[r0 + j1] as number;
      const m10 = map[r1 + j] as number;
      const m11 = map[r1 + j1] as number;
      if (!(m00 > threshold || m01 > threshold || m10 > threshold || m11 > threshold)) continue;
      for (let y = ys; y < ye; y++) {
        const a = ty.l0[y] as number;
        const b = ty.l1[y] as number;
        for (let x = xs; x < xe; x++) {
          const c = tx.l0[x] as number;
          const d = tx.l1[x] as number;
          const v = a * (c * m00 + d * m01) + b * (c * m10 + d * m11);
          if (v > threshold) out[count++] = y * sw + x;
        }
      }
    }
  }
  return count;
}

/**
 * The maximum of each of `units` maps of `plane` values from `offset` (−∞ for an empty map), into `out`.
 *
 * @example
 * ```ts
 * unitMaxima(Float32Array.of(1, 5, 2, 0), 0, 2, 2); // Float32Array [5, 2]
 * ```
 */
export function unitMaxima(act: Float32Array, offset: number, units: number, plane: number, out = new Float32Array(units)): Float32Array {
  for (let u = 0; u < units; u++) {
    const base = offset + u * plane;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < plane; i++) if ((act[base + i] as number) > max) max = act[base + i] as number;
    out[u] = max;
  }
  return out;
}

/**
 * The additive counts of one layer's dissection.
 *
 * @example
 * ```ts
 * const tally = new Tally(512, meta.labelNames.length, meta.categories.length);
 * tally.addImage(act, 0, 7, 7, thresholds, labels, meta.primary);
 * ```
 */
export class Tally {
  readonly both: Float64Array;
  readonly unitTotal: Float64Array;
  readonly unitsCat: Float64Array;
  readonly labelTotal: Float64Array;
  /** Images where unit u's mask has IoU > `associationIou` with label l, `[units × labels]`. */
  readonly associated: Float64Array;
  /** Images that carry label l. */
  readonly present: Float64Array;
  /** False for a tally rebuilt from a state saved without association counts. */
  hasAssociation = true;
  images = 0;
  private mask = new Int32Array(0);
  private region = new Int32Array(0);
  private seen = new Uint8Array(0);
  private readonly flags: Uint8Array;
  /** This image's pixels per label, and the current unit's mask pixels per label. */
  private readonly imageLabel: Float64Array;
  private readonly unitLabel: Float64Array;
  private readonly imageLabels: number[] = [];

  constructor(
    readonly units: number,
    readonly labels: number,
    readonly categories: number,
    readonly associationIou = ASSOCIATION_IOU,
    /**
     * Associate by round regions (`disc-region.ts`) of these radii, as fractions of the image's
     * height and width (r / H, r / W for r input pixels of an H × W model input); default: by the mask.
     */
    readonly associationDisc?: readonly [number, number],
  ) {
    this.both = new Float64Array(units * labels);
    this.unitTotal = new Float64Array(units);
    this.unitsCat = new Float64Array(units * categories);
    this.labelTotal = new Float64Array(labels);
    this.associated = new Float64Array(units * labels);
    this.present = new Float64Array(labels);
    this.flags = new Uint8Array(categories);
    this.imageLabel = new Float64Array(labels);
    this.unitLabel = new Float64Array(labels);
  }

  private checkLabel(l: number): void {
    if (!(l >= 0 && l < this.labels))
      throw new LucernaError('BAD_FILE', `Label ${l} in a segmentation is not in label.csv`, `label.csv numbers go up to ${this.labels - 1}`);
  }

  /**
   * Counts one image: `act` holds its [units, h, w] maps from `offset`; `thresholds` per unit;
   * `primary` maps label numbers to category indices; `maxima`, when given, each map's maximum
   * ({@link unitMaxima}), else they are computed here.
   */
  addImage(
    act: Float32Array,
    offset: number,
    h: number,
    w: number,
    thresholds: ArrayLike<number>,
    labels: ImageLabels,
    primary: Int32Array,
    maxima?: Float32Array,
  ): void {
    const { sh, sw, planes, scalars } = labels;
    const area = sh * sw;
    const own = this.imageLabel;
    for (const s of scalars) {
      this.checkLabel(s);
      this.labelTotal[s] = (this.labelTotal[s] as number) + area;
      own[s] = (own[s] as number) + area;
    }
    for (const plane of planes) {
      for (let i = 0; i < area; i++) {
        const l = plane[i] as number;
        if (l === 0) continue;
        if (!(l < this.labels)) this.checkLabel(l);
        this.labelTotal[l] = (this.labelTotal[l] as number) + 1;
        own[l] = (own[l] as number) + 1;
      }
    }
    this.imageLabels.length = 0;
    for (let l = 0; l < this.labels; l++) {
      if (!((own[l] as number) > 0)) continue;
      this.imageLabels.push(l);
      this.present[l] = (this.present[l] as number) + 1;
    }
    if (this.mask.length < area) this.mask = new Int32Array(area);
    if (this.associationDisc && this.region.length < area) {
      this.region = new Int32Array(area);
      this.seen = new Uint8Array(area);
    }
    const plane = h * w;
    const max = maxima ?? unitMaxima(act, offset, this.units, plane);
    for (let u = 0; u < this.units; u++) {
      const base = offset + u * plane;
      const t = thresholds[u] as number;
      if (!((max[u] as number) > t)) continue;
      const count = maskAbove(act, base, h, w, sh, sw, t, this.mask);
      this.addUnit(u, count, planes, scalars, primary);
      const disc = this.associationDisc;
      if (disc) this.associateRegion(u, discRegion(act, base, h, w, sh, sw, t, disc[0], disc[1], this.seen, this.region), planes, scalars);
      else this.associate(u, count);
    }
    for (const l of this.imageLabels) own[l] = 0;
    this.images++;
  }

  /** Counts unit u as associated with each of this image's labels its mask (`count` pixels) overlaps by IoU > `associationIou`. */
  private associate(u: number, count: number): void {
    const row = u * this.labels;
    for (const l of this.imageLabels) {
      const both = this.unitLabel[l] as number;
      if (both > 0 && both / (count + (this.imageLabel[l] as number) - both) > this.associationIou)
        this.associated[row + l] = (this.associated[row + l] as number) + 1;
      this.unitLabel[l] = 0;
    }
  }

  /** Counts the overlap of unit u's round region (`count` pixels in `this.region`) with each label, then associates. */
  private associateRegion(u: number, count: number, planes: readonly Int32Array[], scalars: readonly number[]): void {
    const own = this.unitLabel;
    const region = this.region;
    for (const plane of planes) {
      for (let k = 0; k < count; k++) {
        const l = plane[region[k] as number] as number;
        if (l !== 0) own[l] = (own[l] as number) + 1;
      }
    }
    for (const s of scalars) own[s] = (own[s] as number) + count;
    this.associate(u, count);
  }

  private addUnit(u: number, count: number, planes: readonly Int32Array[], scalars: readonly number[], primary: Int32Array): void {
    const flags = this.flags.fill(0);
    const row = u * this.labels;
    const mask = this.mask;
    // The mask's overlap per label feeds the association only when it is by the mask.
    const own = this.associationDisc ? undefined : this.unitLabel;
    this.unitTotal[u] = (this.unitTotal[u] as number) + count;
    for (const plane of planes) {
      for (let k = 0; k < count; k++) {
        const l = plane[mask[k] as number] as number;
        if (l === 0) continue;
        this.both[row + l] = (this.both[row + l] as number) + 1;
        if (own) own[l] = (own[l] as number) + 1;
        flags[primary[l] as number] = 1;
      }
    }
    for (const s of scalars) {
      flags[primary[s] as number] = 1;
      this.both[row + s] = (this.both[row + s] as number) + count;
      if (own) own[s] = (own[s] as number) + count;
    }
    for (let c = 0; c < this.categories; c++) if (flags[c]) this.unitsCat[u * this.categories + c] = (this.unitsCat[u * this.categories + c] as number) + count;
  }

  /** Adds another tally of the same layer and vocabulary (a disjoint set of images). */
  merge(other: Tally): void {
    if (other.units !== this.units || other.labels !== this.labels || other.categories !== this.categories)
      throw new LucernaError('BAD_FILE', 'Cannot merge tallies of different layers or label sets');
    if (other.associationIou !== this.associationIou)
      throw new LucernaError('BAD_FILE', `Cannot merge tallies associated at IoU ${this.associationIou} and ${other.associationIou}`);
    if (discLabel(other.associationDisc) !== discLabel(this.associationDisc))
      throw new LucernaError(
        'BAD_FILE',
        `Cannot merge tallies associated by ${discLabel(this.associationDisc)} and by ${discLabel(other.associationDisc)}`,
        'Dissect every shard with the same --association-radius',
      );
    const add = (a: Float64Array, b: Float64Array) => {
      for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) + (b[i] as number);
    };
    add(this.both, other.both);
    add(this.unitTotal, other.unitTotal);
    add(this.unitsCat, other.unitsCat);
    add(this.labelTotal, other.labelTotal);
    add(this.associated, other.associated);
    add(this.present, other.present);
    this.hasAssociation &&= other.hasAssociation;
    this.images += other.images;
  }

  state(): TallyState {
    return {
      units: this.units,
      labels: this.labels,
      categories: this.categories,
      images: this.images,
      both: Array.from(this.both),
      unitTotal: Array.from(this.unitTotal),
      unitsCat: Array.from(this.unitsCat),
      labelTotal: Array.from(this.labelTotal),
      ...(this.hasAssociation ? { associationIou: this.associationIou, associated: Array.from(this.associated), present: Array.from(this.present) } : {}),
      ...(this.hasAssociation && this.associationDisc ? { associationDisc: [...this.associationDisc] as [number, number] } : {}),
    };
  }

  /** Rebuilds a tally from {@link state}. */
  static fromState(s: TallyState): Tally {
    const t = new Tally(s.units, s.labels, s.categories, s.associationIou, s.associationDisc);
    t.both.set(s.both);
    t.unitTotal.set(s.unitTotal);
    t.unitsCat.set(s.unitsCat);
    t.labelTotal.set(s.labelTotal);
    if (s.associated && s.present) {
      t.associated.set(s.associated);
      t.present.set(s.present);
    } else t.hasAssociation = false;
    t.images = s.images;
    return t;
  }
}

/** How a tally associates, for messages: `the mask` or `round regions of radii (ry, rx) of the image`. */
function discLabel(disc: readonly [number, number] | undefined): string {
  return disc ? `round regions of radii ${disc[0]}, ${disc[1]} of the image` : 'the upsampled mask';
}
