/**
 * Image preprocessing that needs no decoder: normalisation presets, channel order, layout
 * transposition and resize geometry. Pure and isomorphic; `image.ts` does the decoding with sharp.
 */
import { LucernaError } from '../errors.js';
import { formatShape, type Tensor } from '../tensor/tensor.js';

/** Named normalisations; each is a mean and std applied to pixels scaled to [0, 1]. */
export type NormalizationPreset = 'imagenet' | 'unit' | 'symmetric' | 'raw255';

/**
 * A custom normalisation `(pixel - mean) / std`, per channel (or one value for all).
 * Values are always listed in R, G, B order, also for `BGR` models: the channel order only
 * decides how the tensor is laid out. `range` says which pixel scale the numbers refer to: 1 (pixels in [0, 1], the default)
 * or 255 (pixels in [0, 255], as Caffe-style models publish them).
 */
export interface MeanStd {
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly range?: 1 | 255;
}

/** A preset name or a custom mean/std. */
export type Normalization = NormalizationPreset | MeanStd;

/** Tensor layout: channels first (`NCHW`, PyTorch) or last (`NHWC`, TensorFlow). */
export type Layout = 'NCHW' | 'NHWC';

/** Channel order the model expects; `BGR` is common for Caffe and OpenCV models. */
export type ChannelOrder = 'RGB' | 'BGR';

/**
 * How an image becomes the model size: `center-crop` resizes the short side (keeping the aspect
 * ratio) so the image covers the target, then crops the centre; `stretch` resizes directly.
 */
export type ResizeMode = 'center-crop' | 'stretch';

/** Everything that turns an image into a model input; every field is optional. */
export interface Preprocessing {
  /** Target `[height, width]`; by default read from the model input shape where static. */
  readonly size?: readonly [number, number];
  /** Default `center-crop`. */
  readonly resize?: ResizeMode;
  /** Default `imagenet`. */
  readonly normalization?: Normalization;
  /** Default read from the model input shape when unambiguous, else `NCHW`. */
  readonly layout?: Layout;
  /** Default `RGB`. */
  readonly channelOrder?: ChannelOrder;
  /** 3 (colour) or 1 (grey); default read from the model input shape, else 3. */
  readonly channels?: 1 | 3;
}

/** {@link Preprocessing} with every field decided. */
export interface ResolvedPreprocessing {
  readonly size: readonly [number, number];
  readonly resize: ResizeMode;
  readonly normalization: Normalization;
  readonly layout: Layout;
  readonly channelOrder: ChannelOrder;
  readonly channels: 1 | 3;
}

/**
 * Mean and std of each preset, on pixels in [0, 1].
 * `imagenet` is torchvision's; `unit` keeps [0, 1]; `symmetric` maps to [-1, 1]; `raw255` keeps 0..255.
 *
 * @example
 * ```ts
 * NORMALIZATION_PRESETS.imagenet.mean; // [0.485, 0.456, 0.406]
 * ```
 */
export const NORMALIZATION_PRESETS: Readonly<Record<NormalizationPreset, { readonly mean: readonly number[]; readonly std: readonly number[] }>> = {
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  unit: { mean: [0], std: [1] },
  symmetric: { mean: [0.5], std: [0.5] },
  raw255: { mean: [0], std: [1 / 255] },
};

/** True when `name` is a {@link NormalizationPreset}. @example `isNormalizationPreset('unit') // true` */
export function isNormalizationPreset(name: unknown): name is NormalizationPreset {
  return typeof name === 'string' && Object.hasOwn(NORMALIZATION_PRESETS, name);
}

function perChannel(values: readonly number[], channels: number, field: string, preset: string): number[] {
  if (values.length === channels) return [...values];
  if (values.length === 1) return new Array<number>(channels).fill(values[0] as number);
  throw new LucernaError(
    'BAD_OPTION',
    `The ${field} of ${preset} has ${values.length} values but the model takes ${channels} channel(s)`,
    `Give 1 or ${channels} values`,
  );
}

/**
 * Resolves a normalisation to one mean and std per channel, on pixels in [0, 1].
 *
 * @example
 * ```ts
 * resolveNormalization('symmetric', 3); // { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }
 * resolveNormalization({ mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], range: 255 }, 3);
 * ```
 */
export function resolveNormalization(normalization: Normalization, channels: number): { mean: number[]; std: number[] } {
  if (typeof normalization === 'string') {
    if (!isNormalizationPreset(normalization)) {
      throw new LucernaError(
        'BAD_OPTION',
        `Unknown normalisation "${normalization}"`,
        `Use one of ${Object.keys(NORMALIZATION_PRESETS).join(', ')}, or a mean and std`,
      );
    }
    const preset = NORMALIZATION_PRESETS[normalization];
    return { mean: perChannel(preset.mean, channels, 'mean', normalization), std: perChannel(preset.std, channels, 'std', normalization) };
  }
  const scale = normalization.range ?? 1;
  if (scale !== 1 && scale !== 255) throw new LucernaError('BAD_OPTION', `Normalisation range must be 1 or 255, got ${scale}`);
  const mean = perChannel(normalization.mean, channels, 'mean', 'the normalisation').map((m) => m / scale);
  const std = perChannel(normalization.std, channels, 'std', 'the normalisation').map((s) => s / scale);
  if (!mean.every(Number.isFinite) || !std.every((s) => Number.isFinite(s) && s > 0)) {
    throw new LucernaError('BAD_OPTION', `Normalisation needs finite means and positive stds, got mean [${normalization.mean}] std [${normalization.std}]`);
  }
  return { mean, std };
}

/**
 * Guesses size, channels and layout from an ONNX input shape such as `[1, 3, 224, 224]`
 * or `['N', 224, 224, 3]`. Symbolic or ambiguous dims are left out.
 *
 * @example
 * ```ts
 * preprocessingFromInputDims([1, 224, 224, 3]); // { layout: 'NHWC', size: [224, 224], channels: 3 }
 * ```
 */
export function preprocessingFromInputDims(dims: readonly (number | string)[]): Partial<Pick<ResolvedPreprocessing, 'size' | 'layout' | 'channels'>> {
  if (dims.length !== 4) return {};
  const isChannels = (d: number | string | undefined) => d === 1 || d === 3;
  const first = isChannels(dims[1]);
  const last = isChannels(dims[3]);
  if (first === last) return {};
  const layout: Layout = first ? 'NCHW' : 'NHWC';
  const [h, w, c] = layout === 'NCHW' ? [dims[2], dims[3], dims[1]] : [dims[1], dims[2], dims[3]];
  const size = typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0 ? ([h, w] as const) : undefined;
  return { layout, channels: c as 1 | 3, ...(size ? { size } : {}) };
}

/**
 * Fills in every preprocessing choice: explicit options first, then what the model input shape
 * tells, then the defaults (`center-crop`, `imagenet`, `NCHW`, `RGB`, 3 channels).
 * Without an explicit size or a static input shape it throws `BAD_OPTION`.
 *
 * @example
 * ```ts
 * resolvePreprocessing({ normalization: 'unit' }, [1, 3, 32, 32]).size; // [32, 32]
 * ```
 */
export function resolvePreprocessing(options: Preprocessing = {}, inputDims?: readonly (number | string)[]): ResolvedPreprocessing {
  if (inputDims && inputDims.length !== 4) {
    throw new LucernaError(
      'UNSUPPORTED_MODEL',
      `An image needs a model that takes images [N, C, H, W]; the model takes ${formatShape(inputDims)} (rank ${inputDims.length})`,
      `Pass a .npy tensor of shape ${formatShape(inputDims)} instead of an image`,
    );
  }
  const fromModel = inputDims ? preprocessingFromInputDims(inputDims) : {};
  const size = options.size ?? fromModel.size;
  if (!size) {
    throw new LucernaError('BAD_OPTION', 'The image size is unknown: the model input has no static height and width', 'Pass size [height, width]');
  }
  if (size.length !== 2 || !size.every((d) => Number.isInteger(d) && d > 0)) {
    throw new LucernaError('BAD_OPTION', `Image size must be two positive integers [height, width], got [${size.join(', ')}]`);
  }
  const resolved: ResolvedPreprocessing = {
    size: [size[0], size[1]],
    resize: options.resize ?? 'center-crop',
    normalization: options.normalization ?? 'imagenet',
    layout: options.layout ?? fromModel.layout ?? 'NCHW',
    channelOrder: options.channelOrder ?? 'RGB',
    channels: options.channels ?? fromModel.channels ?? 3,
  };
  checkChoice('resize', resolved.resize, ['center-crop', 'stretch']);
  checkChoice('layout', resolved.layout, ['NCHW', 'NHWC']);
  checkChoice('channelOrder', resolved.channelOrder, ['RGB', 'BGR']);
  checkChoice('channels', resolved.channels, [1, 3]);
  return resolved;
}

function checkChoice<T>(field: string, value: T, allowed: readonly T[]): void {
  if (!allowed.includes(value)) {
    throw new LucernaError('BAD_OPTION', `Unknown ${field} ${JSON.stringify(value)}`, `Use one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
}

/** Where an image is resized to and cropped from, for {@link centerCropGeometry}. */
export interface CropGeometry {
  readonly resizeWidth: number;
  readonly resizeHeight: number;
  readonly left: number;
  readonly top: number;
}

/**
 * Geometry of `center-crop`: scale so the image just covers `width × height` (the short side,
 * relative to the target, fits exactly), then take the centred window.
 *
 * @example
 * ```ts
 * centerCropGeometry(640, 480, 224, 224); // { resizeWidth: 299, resizeHeight: 224, left: 37, top: 0 }
 * ```
 */
export function centerCropGeometry(srcWidth: number, srcHeight: number, width: number, height: number): CropGeometry {
  const scale = Math.max(width / srcWidth, height / srcHeight);
  const resizeWidth = Math.max(width, Math.round(srcWidth * scale));
  const resizeHeight = Math.max(height, Math.round(srcHeight * scale));
  return { resizeWidth, resizeHeight, left: Math.floor((resizeWidth - width) / 2), top: Math.floor((resizeHeight - height) / 2) };
}

/**
 * Moves channels first: HWC interleaved values to CHW planes.
 *
 * @example
 * ```ts
 * hwcToChw(Float32Array.of(1, 2, 3, 4, 5, 6), 1, 2, 3); // [1, 4, 2, 5, 3, 6]
 * ```
 */
export function hwcToChw(data: ArrayLike<number>, height: number, width: number, channels: number): Float32Array {
  const plane = height * width;
  const out = new Float32Array(plane * channels);
  for (let p = 0; p < plane; p++) for (let c = 0; c < channels; c++) out[c * plane + p] = data[p * channels + c] as number;
  return out;
}

/**
 * Moves channels last: CHW planes to HWC interleaved values.
 *
 * @example
 * ```ts
 * chwToHwc(Float32Array.of(1, 4, 2, 5, 3, 6), 1, 2, 3); // [1, 2, 3, 4, 5, 6]
 * ```
 */
export function chwToHwc(data: ArrayLike<number>, height: number, width: number, channels: number): Float32Array {
  const plane = height * width;
  const out = new Float32Array(plane * channels);
  for (let p = 0; p < plane; p++) for (let c = 0; c < channels; c++) out[p * channels + c] = data[c * plane + p] as number;
  return out;
}

/** Rec. 601 luma weights, as PIL's `convert('L')` uses. */
const LUMA = [0.299, 0.587, 0.114] as const;

/** What {@link rgbToTensor} and {@link tensorToRgb} need to know. */
export type PixelOptions = Pick<ResolvedPreprocessing, 'normalization' | 'layout' | 'channelOrder' | 'channels'>;

/**
 * Turns an interleaved RGB uint8 image into a normalised tensor `[1, C, H, W]` (or `[1, H, W, C]`):
 * `(pixel / 255 - mean) / std` per colour. One channel means Rec. 601 luma (normalised with the
 * first mean and std); `BGR` reverses the channel order of the tensor.
 *
 * @example
 * ```ts
 * const x = rgbToTensor(rgb, 224, 224, { normalization: 'imagenet', layout: 'NCHW', channelOrder: 'RGB', channels: 3 });
 * ```
 */
export function rgbToTensor(rgb: Uint8Array, width: number, height: number, options: PixelOptions): Tensor {
  const plane = width * height;
  if (rgb.length !== plane * 3) throw new LucernaError('BAD_SHAPE', `RGB data has ${rgb.length} bytes, ${width}×${height} needs ${plane * 3}`);
  const channels = options.channels;
  const { mean, std } = resolveNormalization(options.normalization, channels);
  const order = options.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  if (channels === 3) return colourTensor(rgb, width, height, order, mean, std, options.layout);
  const hwc = new Float32Array(plane * channels);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) {
      const colour = channels === 1 ? 0 : (order[c] as number);
      const value = channels === 1 ? luma(rgb, p) : (rgb[p * 3 + colour] as number);
      hwc[p * channels + c] = (value / 255 - (mean[colour] as number)) / (std[colour] as number);
    }
  }
  if (options.layout === 'NHWC') return { data: hwc, shape: [1, height, width, channels] };
  return { data: hwcToChw(hwc, height, width, channels), shape: [1, channels, height, width] };
}

/** {@link rgbToTensor} for three channels: each colour's 256 values normalised once, written straight to the layout. */
function colourTensor(
  rgb: Uint8Array,
  width: number,
  height: number,
  order: readonly number[],
  mean: readonly number[],
  std: readonly number[],
  layout: PixelOptions['layout'],
): Tensor {
  const plane = width * height;
  const data = new Float32Array(plane * 3);
  const table = new Float32Array(256);
  for (let c = 0; c < 3; c++) {
    const colour = order[c] as number;
    for (let v = 0; v < 256; v++) table[v] = (v / 255 - (mean[colour] as number)) / (std[colour] as number);
    if (layout === 'NHWC') for (let p = 0; p < plane; p++) data[p * 3 + c] = table[rgb[p * 3 + colour] as number] as number;
    else for (let p = 0, o = c * plane; p < plane; p++) data[o + p] = table[rgb[p * 3 + colour] as number] as number;
  }
  return { data, shape: layout === 'NHWC' ? [1, height, width, 3] : [1, 3, height, width] };
}

function luma(rgb: Uint8Array, p: number): number {
  return LUMA[0] * (rgb[p * 3] as number) + LUMA[1] * (rgb[p * 3 + 1] as number) + LUMA[2] * (rgb[p * 3 + 2] as number);
}

/**
 * The inverse of {@link rgbToTensor} for one sample: undoes normalisation, layout and channel
 * order, then rounds and clamps to an RGB uint8 image (grey is replicated). Used to show model
 * inputs and feature visualisations.
 *
 * @example
 * ```ts
 * const { rgb, width, height } = tensorToRgb(x, { normalization: 'imagenet', layout: 'NCHW', channelOrder: 'RGB', channels: 3 });
 * ```
 */
export function tensorToRgb(t: Tensor, options: PixelOptions): { rgb: Uint8Array; width: number; height: number } {
  const [n, a, b, c] = t.shape;
  const channels = options.layout === 'NHWC' ? c : a;
  if (t.shape.length !== 4 || n !== 1 || channels !== options.channels) {
    throw new LucernaError('BAD_SHAPE', `Expected one ${options.layout} image with ${options.channels} channel(s), got shape [${t.shape.join(', ')}]`);
  }
  const [height, width] = (options.layout === 'NHWC' ? [a, b] : [b, c]) as [number, number];
  const hwc = options.layout === 'NHWC' ? t.data : chwToHwc(t.data, height, width, channels);
  const { mean, std } = resolveNormalization(options.normalization, channels);
  const order = options.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let k = 0; k < 3; k++) {
      const c = channels === 1 ? 0 : (order[k] as number);
      const colour = channels === 1 ? 0 : k;
      const v = ((hwc[p * channels + c] as number) * (std[colour] as number) + (mean[colour] as number)) * 255;
      rgb[p * 3 + k] = Math.min(255, Math.max(0, Math.round(v)));
    }
  }
  return { rgb, width, height };
}
