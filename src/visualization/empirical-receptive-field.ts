/**
 * The empirical receptive field of a layer's units (Zhou, Khosla, Lapedriza, Oliva & Torralba 2015,
 * "Object Detectors Emerge in Deep Scene CNNs", https://arxiv.org/abs/1412.6856, §3.2): how far
 * from a unit's peak an occluder still lowers the unit. The theoretical field (`receptive-field.ts`)
 * is what a unit can see; the empirical one, much smaller in deep layers, is what it looks at.
 *
 * For each image and each unit that fires on it (peak > 0), a square occluder filled with the
 * image's mean colour slides over the image; each occluded copy lowers the unit's value at its peak
 * cell by a share d = max(a − a′, 0) / a of its value a. The shares are averaged by the occluder's
 * offset from the peak's centre, over units and images (the discrepancy map, centred and
 * averaged as Zhou et al. do). The field is the set of offsets whose mean share reaches half the
 * largest (the ICNN authors' 0.5 of the maximum), each standing for the stride × stride tile of
 * offsets it samples; its radius is that of the disc of the same area.
 */
import { throwIfAborted } from '../attribution/rows.js';
import { type ForwardItem, openLayerTrunk } from '../dissection/forward.js';
import type { Model } from '../engine/model.js';
import { LucernaError, positiveInteger } from '../errors.js';
import { channelPeaks, unitCenter } from '../metrics/peak-units.js';
import type { Tensor } from '../tensor/tensor.js';

/** Options of {@link empiricalReceptiveField}. */
export interface EmpiricalFieldOptions {
  /** Occluder side in input pixels; default Zhou et al.'s 11 of 227, scaled to the input height. */
  readonly patch?: number;
  /** Occluder step in input pixels; default Zhou et al.'s 3 of 227, scaled (at least 1). */
  readonly stride?: number;
  /** Share of the largest mean drop that is inside the field; default 0.5. */
  readonly level?: number;
  /** Copies per engine call; default 32. */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  /** Images done, images in all. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What {@link empiricalReceptiveField} measures. */
export interface EmpiricalField {
  /** Radius in input pixels of the disc with the field's area. */
  readonly radius: number;
  /** The field's area in input pixels. */
  readonly area: number;
  readonly patch: number;
  readonly stride: number;
  /** Unit peaks measured (units that fired, summed over images). */
  readonly peaks: number;
  /** Mean share lost by offset from the peak: `[2H + 1] × [2W + 1]`, centre at (H, W); NaN where never sampled. */
  readonly drop: Float64Array;
  readonly size: readonly [number, number];
}

/**
 * The top-left corners of the occluders over an h × w image: every (k·stride, l·stride) whose
 * `patch`-sided square fits inside.
 *
 * @example
 * ```ts
 * occluderCorners(4, 4, 2, 2); // [[0, 0], [0, 2], [2, 0], [2, 2]]
 * ```
 */
export function occluderCorners(h: number, w: number, patch: number, stride: number): [number, number][] {
  // Every start k·stride whose occluder fits inside the image.
  const starts = (size: number) => Array.from({ length: Math.floor((size - patch) / stride) + 1 }, (_, k) => k * stride);
  return starts(h).flatMap((y) => starts(w).map((x): [number, number] => [y, x]));
}

/**
 * `image` with the `patch`-sided square at (y, x) set to each channel's mean over the image.
 *
 * @example
 * ```ts
 * occlude(image, [3, 128, 128], channelMeans(image, [3, 128, 128]), 10, 20, 6);
 * ```
 */
export function occlude(image: Tensor, [c, h, w]: readonly number[], means: Float64Array, y: number, x: number, patch: number): Tensor {
  const data = Float32Array.from(image.data);
  for (let k = 0; k < (c as number); k++)
    for (let i = y; i < y + patch; i++)
      data.fill(means[k] as number, (k * (h as number) + i) * (w as number) + x, (k * (h as number) + i) * (w as number) + x + patch);
  return { data, shape: image.shape };
}

/**
 * Each channel's mean over `image` ([1, C, H, W]).
 *
 * @example
 * ```ts
 * channelMeans({ data: Float32Array.of(0, 2, 4, 6), shape: [1, 2, 1, 2] }, [2, 1, 2]); // [1, 5]
 * ```
 */
export function channelMeans(image: Tensor, [c, h, w]: readonly number[]): Float64Array {
  const plane = (h as number) * (w as number);
  return Float64Array.from({ length: c as number }, (_, k) => {
    let s = 0;
    for (let i = 0; i < plane; i++) s += image.data[k * plane + i] as number;
    return s / plane;
  });
}

/**
 * The pixels of the field: offsets whose mean drop reaches `level` × the largest, each widened to
 * the `stride` × `stride` tile it samples, counted once. `drop` is `(2H + 1) × (2W + 1)`.
 *
 * @example
 * ```ts
 * fieldArea(drop, 128, 128, 2, 0.5); // e.g. 1250
 * ```
 */
export function fieldArea(drop: Float64Array, h: number, w: number, stride: number, level: number): number {
  const rows = 2 * h + 1;
  const cols = 2 * w + 1;
  let max = 0;
  for (const v of drop) if (v > max) max = v;
  if (!(max > 0)) return 0;
  const inside = new Uint8Array(rows * cols);
  const lo = -Math.floor((stride - 1) / 2);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      if (!((drop[i * cols + j] as number) >= level * max)) continue;
      for (let a = 0; a < stride; a++)
        for (let b = 0; b < stride; b++) {
          const y = i + lo + a;
          const x = j + lo + b;
          if (y >= 0 && y < rows && x >= 0 && x < cols) inside[y * cols + x] = 1;
        }
    }
  return inside.reduce((n, v) => n + v, 0);
}

/** An image of {@link empiricalReceptiveField}: a model input `[1, C, H, W]`, or a function that loads one when it is needed. */
export type FieldImage = Tensor | (() => Promise<Tensor>);

/**
 * Measures the empirical receptive field of `layer`'s units on `images` (each `[1, C, H, W]`, the
 * model's input; loaders are called one at a time, so a long list is never all in memory).
 *
 * @example
 * ```ts
 * const field = await empiricalReceptiveField(model, 'Relu_33', images);
 * field.radius; // input pixels
 * ```
 */
export async function empiricalReceptiveField(
  model: Model,
  layer: string,
  images: readonly FieldImage[],
  options: EmpiricalFieldOptions = {},
): Promise<EmpiricalField> {
  if (images.length === 0) throw new LucernaError('BAD_OPTION', 'The empirical receptive field needs at least one image');
  const load = (i: number): Promise<Tensor> => {
    const image = images[i] as FieldImage;
    return typeof image === 'function' ? image() : Promise.resolve(image);
  };
  const firstImage = await load(0);
  const sample = firstImage.shape.slice(1);
  const [, h, w] = sample as [number, number, number];
  const patch = positiveInteger(options.patch ?? Math.max(1, Math.round((11 * h) / 227)), 'The occluder side');
  const stride = positiveInteger(options.stride ?? Math.max(1, Math.round((3 * h) / 227)), 'The occluder stride');
  if (patch > Math.min(h, w)) throw new LucernaError('BAD_OPTION', `The occluder side ${patch} is larger than the ${h}×${w} input`);
  const level = options.level ?? 0.5;
  const batchSize = positiveInteger(options.batchSize ?? 32, 'The batch size');
  const corners = occluderCorners(h, w, patch, stride);
  const cols = 2 * w + 1;
  const sum = new Float64Array((2 * h + 1) * cols);
  const count = new Float64Array(sum.length);
  let peaks = 0;
  await using trunk = await openLayerTrunk(model, [layer], sample, batchSize);
  const [units, mh, mw] = trunk.shapes[0] as [number, number, number];
  for (let n = 0; n < images.length; n++) {
    throwIfAborted(options.signal);
    const image = n === 0 ? firstImage : await load(n);
    if (image.shape.slice(1).join() !== sample.join())
      throw new LucernaError('BAD_SHAPE', `Image ${n + 1} has shape [${image.shape.join(', ')}]; the first has [1, ${sample.join(', ')}]`);
    const fired = firingPeaks(await runOne(trunk, image, units * mh * mw), units, mh, mw, h, w);
    peaks += fired.length;
    const means = channelMeans(image, sample);
    const items: ForwardItem[] = corners.map(([y, x]) => ({ name: `${y},${x}`, image: async () => occlude(image, sample, means, y, x, patch) }));
    await trunk.run(
      items,
      (indices, [act]) => {
        for (const [b, k] of indices.entries()) {
          const [y, x] = corners[k] as [number, number];
          for (const p of fired) {
            const bin = (Math.round(y + patch / 2 - p.cy) + h) * cols + Math.round(x + patch / 2 - p.cx) + w;
            const after = (act as Float32Array)[(b * units + p.unit) * mh * mw + p.cell] as number;
            sum[bin] = (sum[bin] as number) + Math.max(p.value - after, 0) / p.value;
            count[bin] = (count[bin] as number) + 1;
          }
        }
      },
      { signal: options.signal },
    );
    options.onProgress?.(n + 1, images.length);
  }
  const drop = sum.map((s, i) => ((count[i] as number) > 0 ? s / (count[i] as number) : Number.NaN));
  const area = fieldArea(drop, h, w, stride, level);
  return { radius: Math.sqrt(area / Math.PI), area, patch, stride, peaks, drop, size: [h, w] };
}

/** The layer's maps for one image (the first `size` values of its padded batch). */
async function runOne(trunk: Awaited<ReturnType<typeof openLayerTrunk>>, image: Tensor, size: number): Promise<Float32Array> {
  let maps = new Float32Array(0);
  await trunk.run(
    [{ name: 'image', image: async () => image }],
    (_, [act]) => {
      maps = (act as Float32Array).slice(0, size);
    },
    {},
  );
  return maps;
}

/** A unit that fires on the image: its peak cell and value, and the cell's centre in input pixels. */
interface FiredPeak {
  readonly unit: number;
  readonly cell: number;
  readonly value: number;
  readonly cy: number;
  readonly cx: number;
}

/**
 * The units of `maps` ([units, mh, mw]) whose peak ({@link channelPeaks}) is positive, with the
 * centre of the peak cell in an h × w input ({@link unitCenter}).
 *
 * @example
 * ```ts
 * firingPeaks(Float32Array.of(1, 3, 0, 0, 0, 0, 0, 0), 2, 2, 2, 8, 8); // [{ unit: 0, cell: 1, value: 3, cy: 2, cx: 6 }]
 * ```
 */
export function firingPeaks(maps: Float32Array, units: number, mh: number, mw: number, h: number, w: number): FiredPeak[] {
  const p = channelPeaks(maps, 0, units, mh, mw);
  const fired: FiredPeak[] = [];
  for (let u = 0; u < units; u++) {
    const value = p.value[u] as number;
    if (!(value > 0)) continue;
    const [cx, cy] = unitCenter(p.row[u] as number, p.col[u] as number, mh, mw, w, h);
    fired.push({ unit: u, cell: (p.row[u] as number) * mw + (p.col[u] as number), value, cy, cx });
  }
  return fired;
}
