/**
 * Location instability (Zhang, Wu & Zhu 2018, "Interpretable Convolutional Neural Networks",
 * CVPR, §4, https://arxiv.org/abs/1710.00935): how much the place where a filter fires moves,
 * relative to an object's landmarks, across images. A filter that always fires on the same part
 * keeps a steady distance to every landmark, so the spread of those distances is small.
 *
 * This file is the pure core: it takes, per image, each filter's peak position (already in
 * model-input pixels) and peak value, plus the image's landmarks (scaled to the model input), and
 * returns the per-filter and layer numbers. Reading a layer and a data set lives elsewhere
 * (`stability-run.ts`), so the same core also measures an explanatory graph's nodes.
 *
 * Two protocols:
 * - `default` (the definition of issue #15): counted images are those with a peak value > 0;
 *   d_k(I) = ‖p_f(I) − l_k(I)‖ / √(W² + H²); D_{f,k} is the population standard deviation of d_k
 *   over the counted images with landmark k (0 for one image); the filter's instability is the
 *   mean of D_{f,k} over the landmark names seen in its counted images; fewer than 2 counted images
 *   give `null`; the layer's value is the mean over non-null filters.
 * - `icnn` (the authors' `tools/computeStability.py` and `getDistSqrtVar.py` in ada-shen/ICNN):
 *   for each landmark k, the filter's top K images by peak value among the images that have k
 *   (no exclusion of peaks ≤ 0; equal peaks keep the image order, where numpy's unstable sort
 *   leaves it open); the sample standard deviation (n − 1) of the normalised distance;
 *   the sum over the landmark list divided by its length, `null` when any landmark has fewer than
 *   2 such images; the layer's value is the mean of the smallest `round(C · ratio)` non-null values
 *   (Python's round, half to even).
 */
import { LucernaError, positiveInteger } from '../errors.js';

/** One image as the metric sees it. */
export interface InstabilityImage {
  /** Per filter, the peak's x (model-input pixels, right). */
  readonly x: ArrayLike<number>;
  /** Per filter, the peak's y (model-input pixels, down). */
  readonly y: ArrayLike<number>;
  /** Per filter, the peak value (the map's maximum). */
  readonly value: ArrayLike<number>;
  /** Landmarks by name, in model-input pixels. */
  readonly landmarks: ReadonlyMap<string, readonly [number, number]>;
}

/** Options of {@link locationInstability}. */
export interface InstabilityOptions {
  /** Model input width W and height H, in pixels. */
  readonly width: number;
  readonly height: number;
  /** `default` (issue #15) or `icnn` (the authors' code). */
  readonly protocol?: 'default' | 'icnn';
  /** icnn: images per filter and landmark, best peaks first (default 100). */
  readonly topImages?: number;
  /** icnn: fraction of the most stable filters averaged for the layer (default 1). */
  readonly selectRatio?: number;
}

/** One filter's result. */
export interface FilterInstability {
  /** 0-based channel (or node) index. */
  readonly filter: number;
  /** The instability, or null when fewer than 2 images count. */
  readonly instability: number | null;
  /** Images that counted for this filter. */
  readonly images: number;
}

/** A layer's result. */
export interface LayerInstability {
  /** The layer's value (null when every filter is null). */
  readonly instability: number | null;
  /** How many filters are null. */
  readonly nullFilters: number;
  readonly filters: readonly FilterInstability[];
}

function populationStd(values: readonly number[]): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) * (v - mean), 0) / values.length);
}

function sampleStd(values: readonly number[]): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) * (v - mean), 0) / (values.length - 1));
}

/** Python 3's `round`: to the nearest integer, halves to even. @example `roundHalfEven(2.5) // 2` */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const diff = v - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function distance(image: InstabilityImage, f: number, at: readonly [number, number], diagonal: number): number {
  return Math.hypot((image.x[f] as number) - at[0], (image.y[f] as number) - at[1]) / diagonal;
}

function defaultFilter(images: readonly InstabilityImage[], f: number, diagonal: number): FilterInstability {
  const perLandmark = new Map<string, number[]>();
  let counted = 0;
  for (const image of images) {
    if (!((image.value[f] as number) > 0)) continue;
    counted++;
    for (const [name, at] of image.landmarks) {
      let list = perLandmark.get(name);
      if (!list) perLandmark.set(name, (list = []));
      list.push(distance(image, f, at, diagonal));
    }
  }
  if (counted < 2 || perLandmark.size === 0) return { filter: f, instability: null, images: counted };
  let sum = 0;
  for (const list of perLandmark.values()) sum += populationStd(list);
  return { filter: f, instability: sum / perLandmark.size, images: counted };
}

function icnnFilter(images: readonly InstabilityImage[], f: number, names: readonly string[], diagonal: number, k: number): FilterInstability {
  // Stable sort: equal peaks keep the image order.
  const peak = (i: number) => images[i]?.value[f] as number;
  const order = images.map((_, i) => i).sort((a, b) => (peak(b) > peak(a) ? 1 : peak(b) < peak(a) ? -1 : 0));
  const used = new Set<number>();
  let sum = 0;
  let missing = false;
  for (const name of names) {
    const dists: number[] = [];
    for (const i of order) {
      if (dists.length >= k) break;
      const image = images[i] as InstabilityImage;
      const at = image.landmarks.get(name);
      if (!at) continue;
      dists.push(distance(image, f, at, diagonal));
      used.add(i);
    }
    if (dists.length < 2) missing = true;
    else sum += sampleStd(dists);
  }
  const instability = missing || names.length === 0 ? null : sum / names.length;
  return { filter: f, instability, images: used.size };
}

function filterCount(images: readonly InstabilityImage[]): number {
  const c = images[0]?.value.length ?? 0;
  for (const image of images) {
    if (image.x.length !== c || image.y.length !== c || image.value.length !== c)
      throw new LucernaError('BAD_SHAPE', `Every image needs the same number of filters (${c}), got ${image.value.length}`);
  }
  return c;
}

function checkOptions(options: InstabilityOptions): void {
  const { width, height, topImages = 100, selectRatio = 1 } = options;
  if (!(width > 0 && height > 0)) throw new LucernaError('BAD_OPTION', `The input size must be positive, got ${width}×${height}`);
  positiveInteger(topImages, '--top-images');
  if (!(selectRatio > 0 && selectRatio <= 1)) throw new LucernaError('BAD_OPTION', `--select-ratio must be in (0, 1], got ${selectRatio}`);
}

/**
 * Location instability of every filter of a layer and of the layer, from per-image peaks and
 * landmarks. `images` must already be restricted to the images of the chosen class (or to every
 * image with an object).
 *
 * @example
 * ```ts
 * const r = locationInstability(
 *   [
 *     { x: [10], y: [12], value: [1], landmarks: new Map([['eye', [10, 12]]]) },
 *     { x: [20], y: [30], value: [2], landmarks: new Map([['eye', [20, 30]]]) },
 *   ],
 *   { width: 64, height: 64 },
 * );
 * r.filters[0].instability; // 0: the peak sits on the eye in both images
 * ```
 */
export function locationInstability(images: readonly InstabilityImage[], options: InstabilityOptions): LayerInstability {
  checkOptions(options);
  const diagonal = Math.hypot(options.width, options.height);
  const c = filterCount(images);
  const icnn = options.protocol === 'icnn';
  const names = [...new Set(images.flatMap((image) => [...image.landmarks.keys()]))];
  const filters = Array.from({ length: c }, (_, f) =>
    icnn ? icnnFilter(images, f, names, diagonal, options.topImages ?? 100) : defaultFilter(images, f, diagonal),
  );
  const values = filters.map((f) => f.instability).filter((v): v is number => v !== null);
  const nullFilters = c - values.length;
  let chosen = values;
  if (icnn) {
    const take = Math.min(roundHalfEven(c * (options.selectRatio ?? 1)), values.length);
    chosen = [...values].sort((a, b) => a - b).slice(0, take);
  }
  const instability = chosen.length ? chosen.reduce((s, v) => s + v, 0) / chosen.length : null;
  return { instability, nullFilters, filters };
}
