/**
 * SLIC superpixels (Achanta et al. 2012, "SLIC Superpixels Compared to State-of-the-Art Superpixel
 * Methods", https://doi.org/10.1109/TPAMI.2012.120): k-means in CIELAB × image-plane space, with
 * each centre searching only a 2S × 2S window, followed by a connectivity pass.
 *
 * Pure TypeScript, no DOM or canvas: it runs in Node and in the browser.
 */
import { LucernaError } from '../errors.js';

/** An RGB (or grey) image: `data` in C order with the given `shape`. */
export interface SlicImage {
  /**
   * Pixel values: a `Uint8Array` holds 0..255; any other array holds values in [0, 1].
   */
  readonly data: ArrayLike<number>;
  /** `[C, H, W]` (layout `chw`, the default) or `[H, W, C]` (layout `hwc`), with C = 3 (RGB) or 1 (grey). A leading 1 is allowed. */
  readonly shape: readonly number[];
}

/** Options of {@link slic}. */
export interface SlicOptions {
  /** The approximate number of superpixels (default 100). */
  readonly segments?: number;
  /** Compactness m: larger gives squarer superpixels, smaller follows colour more (default 10). */
  readonly compactness?: number;
  /** k-means iterations (default 10, as in the paper). */
  readonly iterations?: number;
  /** Connected pieces smaller than this fraction of the mean superpixel area are merged into a neighbour (default 0.5, as scikit-image). */
  readonly minSizeFactor?: number;
  /** Memory layout of `image.shape` (default `chw`). */
  readonly layout?: 'chw' | 'hwc';
}

/** A label image: one superpixel id per pixel. */
export interface Segmentation {
  /** Row-major [H, W] labels, consecutive ids 0..count−1 (numbered in raster order of first appearance). */
  readonly labels: Int32Array;
  /** The number of superpixels. */
  readonly count: number;
  readonly height: number;
  readonly width: number;
}

/** Lab image planes, row-major. */
interface LabPlanes {
  readonly l: Float64Array;
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly height: number;
  readonly width: number;
}

/** Cluster centres: colour, position. */
interface Centres {
  readonly l: Float64Array;
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly y: Float64Array;
  readonly x: Float64Array;
}

const D65 = [0.95047, 1, 1.08883] as const;

function srgbToLinear(c: number): number {
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function labF(t: number): number {
  return t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 / 116) * t + 16 / 116;
}

/**
 * Converts one sRGB colour (components in [0, 1]) to CIELAB under the D65 white point.
 *
 * @example
 * ```ts
 * rgbToLab(1, 1, 1); // [100, 0, 0] (to rounding)
 * rgbToLab(1, 0, 0); // ≈ [53.24, 80.09, 67.20]
 * ```
 */
export function rgbToLab(r: number, g: number, b: number): [number, number, number] {
  const rl = srgbToLinear(r);
  const gl = srgbToLinear(g);
  const bl = srgbToLinear(b);
  const x = (0.412453 * rl + 0.35758 * gl + 0.180423 * bl) / D65[0];
  const y = (0.212671 * rl + 0.71516 * gl + 0.072169 * bl) / D65[1];
  const z = (0.019334 * rl + 0.119193 * gl + 0.950227 * bl) / D65[2];
  const fx = labF(x);
  const fy = labF(y);
  const fz = labF(z);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/** Reads the image's geometry and converts it to Lab planes, validating shape and range. */
function toLab(image: SlicImage, layout: 'chw' | 'hwc'): LabPlanes {
  const dims = image.shape.length === 4 && image.shape[0] === 1 ? image.shape.slice(1) : [...image.shape];
  if (dims.length !== 3) throw new LucernaError('BAD_SHAPE', `SLIC needs an image of shape [C, H, W] or [H, W, C], got [${image.shape.join(', ')}]`);
  const [channels, height, width] = (layout === 'chw' ? dims : [dims[2], dims[0], dims[1]]) as [number, number, number];
  if (channels !== 3 && channels !== 1) throw new LucernaError('BAD_SHAPE', `SLIC needs 1 or 3 colour channels, got ${channels}`, 'Pass an RGB or grey image');
  if (image.data.length !== channels * height * width) {
    throw new LucernaError(
      'BAD_SHAPE',
      `The SLIC image has ${image.data.length} values but shape [${image.shape.join(', ')}] needs ${channels * height * width}`,
    );
  }
  const scale = image.data instanceof Uint8Array || image.data instanceof Uint8ClampedArray ? 1 / 255 : 1;
  const plane = height * width;
  const value =
    layout === 'chw' ? (c: number, p: number) => image.data[c * plane + p]! * scale : (c: number, p: number) => image.data[p * channels + c]! * scale;
  const lab: LabPlanes = { l: new Float64Array(plane), a: new Float64Array(plane), b: new Float64Array(plane), height, width };
  for (let p = 0; p < plane; p++) {
    const r = value(0, p);
    const g = channels === 3 ? value(1, p) : r;
    const b = channels === 3 ? value(2, p) : r;
    if (!(r >= -1e-6 && r <= 1 + 1e-6 && g >= -1e-6 && g <= 1 + 1e-6 && b >= -1e-6 && b <= 1 + 1e-6)) {
      throw new LucernaError(
        'BAD_OPTION',
        `SLIC expects colour values in [0, 1], got ${[r, g, b].find((v) => !(v >= 0 && v <= 1))}`,
        'Divide 8-bit values by 255, or pass a Uint8Array',
      );
    }
    [lab.l[p], lab.a[p], lab.b[p]] = rgbToLab(r, g, b);
  }
  return lab;
}

function squaredColourDistance(lab: LabPlanes, p: number, q: number): number {
  const dl = lab.l[p]! - lab.l[q]!;
  const da = lab.a[p]! - lab.a[q]!;
  const db = lab.b[p]! - lab.b[q]!;
  return dl * dl + da * da + db * db;
}

/** The squared Lab gradient magnitude at (y, x), with borders clamped. */
function gradientAt(lab: LabPlanes, y: number, x: number): number {
  const { width: w, height: h } = lab;
  const left = y * w + Math.max(0, x - 1);
  const right = y * w + Math.min(w - 1, x + 1);
  const up = Math.max(0, y - 1) * w + x;
  const down = Math.min(h - 1, y + 1) * w + x;
  return squaredColourDistance(lab, left, right) + squaredColourDistance(lab, up, down);
}

/** Grid dimensions [rows, cols] giving about `segments` cells of roughly square shape. */
function gridSize(height: number, width: number, segments: number): [number, number] {
  const step = Math.sqrt((height * width) / segments);
  const rows = Math.min(height, Math.max(1, Math.round(height / step)));
  const cols = Math.min(width, Math.max(1, Math.round(width / step)));
  return [rows, cols];
}

/** Grid seeds, each moved to the lowest-gradient pixel of its 3 × 3 neighbourhood. */
function seedCentres(lab: LabPlanes, rows: number, cols: number): Centres {
  const k = rows * cols;
  const c: Centres = { l: new Float64Array(k), a: new Float64Array(k), b: new Float64Array(k), y: new Float64Array(k), x: new Float64Array(k) };
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const cy = Math.floor(((i + 0.5) * lab.height) / rows);
      const cx = Math.floor(((j + 0.5) * lab.width) / cols);
      let best = [cy, cx] as [number, number];
      let bestGradient = Number.POSITIVE_INFINITY;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const y = cy + dy;
          const x = cx + dx;
          if (y < 0 || x < 0 || y >= lab.height || x >= lab.width) continue;
          const g = gradientAt(lab, y, x);
          if (g < bestGradient) [bestGradient, best] = [g, [y, x]];
        }
      }
      const id = i * cols + j;
      const p = best[0] * lab.width + best[1];
      [c.y[id], c.x[id], c.l[id], c.a[id], c.b[id]] = [best[0], best[1], lab.l[p]!, lab.a[p]!, lab.b[p]!];
    }
  }
  return c;
}

/** Initial labels: each pixel belongs to its grid cell, so no pixel is ever unassigned. */
function gridLabels(height: number, width: number, rows: number, cols: number): Int32Array {
  const labels = new Int32Array(height * width);
  for (let y = 0; y < height; y++) {
    const i = Math.min(rows - 1, Math.floor((y * rows) / height));
    for (let x = 0; x < width; x++) labels[y * width + x] = i * cols + Math.min(cols - 1, Math.floor((x * cols) / width));
  }
  return labels;
}

/** One assignment step: each centre claims the pixels of its window that it is closest to. */
function assignPixels(lab: LabPlanes, c: Centres, labels: Int32Array, distances: Float64Array, radius: number, spatialScale: number): void {
  const { width: w, height: h } = lab;
  distances.fill(Number.POSITIVE_INFINITY);
  for (let k = 0; k < c.l.length; k++) {
    const cy = c.y[k]!;
    const cx = c.x[k]!;
    const y0 = Math.max(0, Math.floor(cy - radius));
    const y1 = Math.min(h - 1, Math.ceil(cy + radius));
    const x0 = Math.max(0, Math.floor(cx - radius));
    const x1 = Math.min(w - 1, Math.ceil(cx + radius));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const p = y * w + x;
        const dl = lab.l[p]! - c.l[k]!;
        const da = lab.a[p]! - c.a[k]!;
        const db = lab.b[p]! - c.b[k]!;
        const d = dl * dl + da * da + db * db + spatialScale * ((y - cy) * (y - cy) + (x - cx) * (x - cx));
        if (d < distances[p]!) {
          distances[p] = d;
          labels[p] = k;
        }
      }
    }
  }
}

/** One update step: each centre moves to the mean of its pixels (an empty cluster keeps its centre). */
function updateCentres(lab: LabPlanes, c: Centres, labels: Int32Array): void {
  const k = c.l.length;
  const sums = new Float64Array(k * 6);
  for (let p = 0; p < labels.length; p++) {
    const o = labels[p]! * 6;
    sums[o] = sums[o]! + lab.l[p]!;
    sums[o + 1] = sums[o + 1]! + lab.a[p]!;
    sums[o + 2] = sums[o + 2]! + lab.b[p]!;
    sums[o + 3] = sums[o + 3]! + Math.floor(p / lab.width);
    sums[o + 4] = sums[o + 4]! + (p % lab.width);
    sums[o + 5] = sums[o + 5]! + 1;
  }
  for (let i = 0; i < k; i++) {
    const n = sums[i * 6 + 5]!;
    if (n === 0) continue;
    [c.l[i], c.a[i], c.b[i], c.y[i], c.x[i]] = [0, 1, 2, 3, 4].map((j) => sums[i * 6 + j]! / n) as [number, number, number, number, number];
  }
}

/** 4-connected components of equal labels, numbered in raster order of their first pixel. */
function connectedComponents(labels: Int32Array, height: number, width: number): { components: Int32Array; count: number } {
  const pixels = height * width;
  const components = new Int32Array(pixels).fill(-1);
  const queue = new Int32Array(pixels);
  let count = 0;
  for (let start = 0; start < pixels; start++) {
    if (components[start]! >= 0) continue;
    const label = labels[start]!;
    components[start] = count;
    queue[0] = start;
    for (let head = 0, tail = 1; head < tail; head++) {
      const p = queue[head]!;
      const x = p % width;
      for (const q of [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, p - width, p + width]) {
        if (q < 0 || q >= pixels || components[q]! >= 0 || labels[q] !== label) continue;
        components[q] = count;
        queue[tail++] = q;
      }
    }
    count++;
  }
  return { components, count };
}

/** Per-component pixel counts, feature sums and neighbour sets. */
function componentStats(components: Int32Array, count: number, width: number, features: readonly ArrayLike<number>[]) {
  const size = new Float64Array(count);
  const sums = new Float64Array(count * features.length);
  const neighbours = Array.from({ length: count }, () => new Set<number>());
  for (let p = 0; p < components.length; p++) {
    const c = components[p]!;
    size[c] = size[c]! + 1;
    features.forEach((f, j) => {
      sums[c * features.length + j] = sums[c * features.length + j]! + f[p]!;
    });
    for (const q of [p % width < width - 1 ? p + 1 : -1, p + width < components.length ? p + width : -1]) {
      const d = q >= 0 ? components[q]! : c;
      if (d === c) continue;
      neighbours[c]!.add(d);
      neighbours[d]!.add(c);
    }
  }
  return { size, sums, neighbours };
}

/**
 * Relabels 4-connected components with consecutive ids (raster order of first pixel). A component
 * smaller than `minSize` pixels is merged into the neighbouring component whose mean `features`
 * (e.g. the L, a, b planes) is closest — the first neighbour found when no features are given.
 *
 * @example
 * ```ts
 * const { labels, count } = enforceConnectivity(kmeansLabels, 64, 64, 4, [lab.l, lab.a, lab.b]);
 * ```
 */
export function enforceConnectivity(
  labels: Int32Array,
  height: number,
  width: number,
  minSize: number,
  features: readonly ArrayLike<number>[] = [],
): { labels: Int32Array; count: number } {
  if (labels.length !== height * width) throw new LucernaError('BAD_SHAPE', `${labels.length} labels do not fill a ${height} × ${width} image`);
  const { components, count } = connectedComponents(labels, height, width);
  const { size, sums, neighbours } = componentStats(components, count, width, features);
  const f = features.length;
  const parent = Int32Array.from({ length: count }, (_, i) => i);
  const root = (c: number): number => {
    while (parent[c] !== c) c = parent[c] = parent[parent[c]!]!;
    return c;
  };
  const distance = (a: number, b: number): number => {
    let d = 0;
    for (let j = 0; j < f; j++) d += (sums[a * f + j]! / size[a]! - sums[b * f + j]! / size[b]!) ** 2;
    return d;
  };
  const small = Array.from({ length: count }, (_, i) => i)
    .filter((c) => size[c]! < minSize)
    .sort((a, b) => size[a]! - size[b]! || a - b);
  for (let merged = true; merged; ) {
    merged = false;
    for (const c0 of small) {
      const c = root(c0);
      if (size[c]! >= minSize) continue;
      let best = -1;
      for (const n of neighbours[c]!) {
        const t = root(n);
        if (t !== c && (best < 0 || distance(c, t) < distance(c, best))) best = t;
      }
      if (best < 0) continue;
      parent[c] = best;
      size[best] = size[best]! + size[c]!;
      for (let j = 0; j < f; j++) sums[best * f + j] = sums[best * f + j]! + sums[c * f + j]!;
      for (const n of neighbours[c]!) neighbours[best]!.add(n);
      merged = true;
    }
  }
  const ids = new Int32Array(count).fill(-1);
  const out = new Int32Array(components.length);
  let next = 0;
  for (let p = 0; p < components.length; p++) {
    const r = root(components[p]!);
    if (ids[r]! < 0) ids[r] = next++;
    out[p] = ids[r]!;
  }
  return { labels: out, count: next };
}

function checkSlicOptions(options: SlicOptions): Required<SlicOptions> {
  const o = { segments: 100, compactness: 10, iterations: 10, minSizeFactor: 0.5, layout: 'chw' as const, ...options };
  if (!Number.isInteger(o.segments) || o.segments < 1)
    throw new LucernaError('BAD_OPTION', `SLIC segments must be a positive integer, got ${options.segments}`);
  if (!Number.isFinite(o.compactness) || o.compactness <= 0)
    throw new LucernaError('BAD_OPTION', `SLIC compactness must be a positive number, got ${options.compactness}`);
  if (!Number.isInteger(o.iterations) || o.iterations < 0)
    throw new LucernaError('BAD_OPTION', `SLIC iterations must be an integer ≥ 0, got ${options.iterations}`);
  if (!(o.minSizeFactor >= 0 && o.minSizeFactor < 1))
    throw new LucernaError('BAD_OPTION', `SLIC minSizeFactor must be in [0, 1), got ${options.minSizeFactor}`);
  if (o.layout !== 'chw' && o.layout !== 'hwc')
    throw new LucernaError('BAD_OPTION', `SLIC layout must be 'chw' or 'hwc', got ${JSON.stringify(options.layout)}`);
  return o;
}

/**
 * Segments an image into about `segments` superpixels with SLIC: CIELAB conversion, grid seeding
 * moved to the lowest gradient of each 3 × 3 neighbourhood, a fixed number of local k-means
 * iterations in 2S × 2S windows with distance √(d_lab² + (d_xy / S)² m²), then connectivity
 * enforcement. Deterministic.
 *
 * @example
 * ```ts
 * const { labels, count } = slic({ data: rgb, shape: [3, 224, 224] }, { segments: 50, compactness: 10 });
 * labels[y * 224 + x]; // superpixel id in 0..count−1
 * ```
 */
export function slic(image: SlicImage, options: SlicOptions = {}): Segmentation {
  const o = checkSlicOptions(options);
  const lab = toLab(image, o.layout);
  const { height, width } = lab;
  const [rows, cols] = gridSize(height, width, o.segments);
  const step = Math.sqrt((height * width) / (rows * cols));
  const centres = seedCentres(lab, rows, cols);
  const kmeans = gridLabels(height, width, rows, cols);
  const distances = new Float64Array(height * width);
  const radius = Math.max(height / rows, width / cols);
  const spatialScale = (o.compactness * o.compactness) / (step * step);
  for (let it = 0; it < o.iterations; it++) {
    assignPixels(lab, centres, kmeans, distances, radius, spatialScale);
    updateCentres(lab, centres, kmeans);
  }
  const minSize = Math.floor((o.minSizeFactor * height * width) / (rows * cols));
  const { labels, count } = enforceConnectivity(kmeans, height, width, minSize, [lab.l, lab.a, lab.b]);
  return { labels, count, height, width };
}
