/**
 * Node-only image input and output with sharp: decode PNG, JPEG, WebP (and whatever else libvips
 * reads) into model input tensors, and write RGB images as PNG.
 *
 * Decoding rules, in order:
 * - EXIF orientation is applied, so the tensor looks the way viewers show the photo.
 * - Transparency is composited onto `background` (default white), never dropped: the colour under
 *   a transparent pixel is arbitrary, while compositing gives what a viewer shows.
 * - Grey images are replicated to three channels; for a one-channel model the colour image is
 *   reduced to Rec. 601 luma (see `preprocess.ts`).
 * - Only the first frame of an animated image is read.
 */
import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { LucernaError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { readBytes } from './files.js';
import { centerCropGeometry, type Preprocessing, type ResolvedPreprocessing, resolvePreprocessing, rgbToTensor } from './preprocess.js';

/** An interleaved 8-bit RGB image: `rgb[(y * width + x) * 3 + c]`. */
export interface RgbImage {
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/**
 * The `side`-pixel square of `image` around (x, y), shifted to stay inside the image (and no larger
 * than it), as interleaved RGB bytes. The explanatory-graph and decision-tree reports cut their
 * part patches with it (Zhang et al. 2018, https://arxiv.org/abs/1708.01785).
 *
 * @example
 * ```ts
 * const patch = cropSquare(image, 40, 12, 16); // 16×16×3 bytes centred on (40, 12)
 * ```
 */
export function cropSquare(image: RgbImage, x: number, y: number, side: number): Uint8Array {
  const s = Math.min(side, image.width, image.height);
  const x0 = Math.min(image.width - s, Math.max(0, Math.round(x - s / 2)));
  const y0 = Math.min(image.height - s, Math.max(0, Math.round(y - s / 2)));
  const out = new Uint8Array(s * s * 3);
  for (let r = 0; r < s; r++) out.set(image.rgb.subarray(((y0 + r) * image.width + x0) * 3, ((y0 + r) * image.width + x0 + s) * 3), r * s * 3);
  return out;
}

/** Options of {@link loadImageTensor}: preprocessing plus what the model tells. */
export interface ImageTensorOptions extends Preprocessing {
  /** The model's ONNX input dims (`model.input.dims`); size, layout and channels default from them. */
  readonly inputDims?: readonly (number | string)[];
  /** The colour transparent pixels are composited onto, `[r, g, b]` in 0..255; default white. */
  readonly background?: readonly [number, number, number];
}

/** A model input made from an image, with the image as the model sees it. */
export interface ImageTensor {
  /** `[1, C, H, W]` (or `[1, H, W, C]` for NHWC), normalised. */
  readonly tensor: Tensor;
  /** The resized (and cropped) RGB image, `H × W`, for overlays. */
  readonly image: RgbImage;
  /** Size of the decoded image before resizing (after EXIF orientation). */
  readonly original: { readonly width: number; readonly height: number };
  /** The preprocessing actually applied, with every default filled in. */
  readonly preprocessing: ResolvedPreprocessing;
}

const WHITE = [255, 255, 255] as const;

function describe(source: string | Uint8Array): string {
  return typeof source === 'string' ? source : 'the bytes given';
}

function decodeError(what: string, e: unknown): LucernaError {
  const reason = String((e as Error)?.message ?? e)
    .split('\n')[0]
    ?.trim();
  return new LucernaError('BAD_FILE', `Cannot decode ${what} as an image (${reason})`, 'Use a valid PNG, JPEG or WebP file');
}

function checkBackground(background: readonly number[]): { r: number; g: number; b: number } {
  if (background.length !== 3 || !background.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
    throw new LucernaError('BAD_OPTION', `Background must be [r, g, b] integers in 0..255, got [${background.join(', ')}]`);
  }
  return { r: background[0] as number, g: background[1] as number, b: background[2] as number };
}

/**
 * Decodes an image file or its bytes to full-size RGB: orientation applied, transparency
 * composited onto `background`, grey replicated. Errors: FILE_NOT_FOUND, BAD_FILE.
 *
 * @example
 * ```ts
 * const { rgb, width, height } = await decodeRgb('cat.jpg');
 * ```
 */
export async function decodeRgb(source: string | Uint8Array, background: readonly [number, number, number] = WHITE): Promise<RgbImage> {
  const what = describe(source);
  const bg = checkBackground(background);
  const bytes = typeof source === 'string' ? await readBytes(source, 'the image') : source;
  try {
    const { data, info } = await sharp(bytes, { autoOrient: true })
      .flatten({ background: bg })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (e) {
    throw decodeError(what, e);
  }
}

/**
 * A small JPEG of an image file stretched to `width × height` (flattened on white), in one libvips
 * pass: for report thumbnails. Errors: FILE_NOT_FOUND, BAD_FILE.
 *
 * @example
 * ```ts
 * const jpeg = await thumbnailJpeg('images/cat.jpg', 96, 96);
 * ```
 */
export async function thumbnailJpeg(source: string | Uint8Array, width: number, height: number): Promise<Uint8Array> {
  const what = describe(source);
  const bytes = typeof source === 'string' ? await readBytes(source, 'the image') : source;
  try {
    const buf = await sharp(bytes, { autoOrient: true })
      .flatten({ background: checkBackground(WHITE) })
      .toColourspace('srgb')
      .resize(width, height, { fit: 'fill' })
      .jpeg({ quality: 85 })
      .toBuffer();
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw decodeError(what, e);
  }
}

/**
 * Resizes an RGB image to `width × height`, either `stretch` (directly) or `center-crop`
 * (short side to fit, then the centre window; see {@link centerCropGeometry}). Lanczos-3 filter.
 *
 * @example
 * ```ts
 * const small = await resizeRgb(photo, 224, 224, 'center-crop');
 * ```
 */
export async function resizeRgb(image: RgbImage, width: number, height: number, mode: 'center-crop' | 'stretch'): Promise<RgbImage> {
  if (image.width === width && image.height === height) return image;
  const raw = { raw: { width: image.width, height: image.height, channels: 3 as const } };
  let pipeline = sharp(image.rgb, raw);
  if (mode === 'stretch') {
    pipeline = pipeline.resize(width, height, { fit: 'fill' });
  } else {
    const g = centerCropGeometry(image.width, image.height, width, height);
    pipeline = pipeline.resize(g.resizeWidth, g.resizeHeight, { fit: 'fill' }).extract({ left: g.left, top: g.top, width, height });
  }
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/**
 * Loads an image as a model input: decode, resize (`center-crop` by default), normalise
 * (`imagenet` by default) and lay out as `[1, C, H, W]` (or NHWC). Size, layout and channels
 * default from `inputDims` where the model's input shape is static.
 * Errors: FILE_NOT_FOUND, BAD_FILE (unreadable image), BAD_OPTION.
 *
 * @example
 * ```ts
 * const { tensor, image } = await loadImageTensor('cat.jpg', { inputDims: model.input.dims, ...sidecar?.preprocessing });
 * ```
 */
export async function loadImageTensor(source: string | Uint8Array, options: ImageTensorOptions = {}): Promise<ImageTensor> {
  const preprocessing = resolvePreprocessing(options, options.inputDims);
  const decoded = await decodeRgb(source, options.background);
  const [height, width] = preprocessing.size;
  const image = await resizeRgb(decoded, width, height, preprocessing.resize);
  const tensor = rgbToTensor(image.rgb, width, height, preprocessing);
  return { tensor, image, original: { width: decoded.width, height: decoded.height }, preprocessing };
}

function checkRgb(rgb: Uint8Array, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || rgb.length !== width * height * 3) {
    throw new LucernaError('BAD_SHAPE', `RGB data has ${rgb.length} bytes, which does not fit ${width}×${height}×3`);
  }
}

/**
 * Encodes an interleaved RGB image as PNG bytes.
 *
 * @example
 * ```ts
 * const png = await encodeRgbPng(image.rgb, image.width, image.height);
 * ```
 */
export async function encodeRgbPng(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  checkRgb(rgb, width, height);
  const buf = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Writes an interleaved RGB image to a PNG file.
 *
 * @example
 * ```ts
 * await saveRgbPng('overlay.png', overlay, 224, 224);
 * ```
 */
export async function saveRgbPng(path: string, rgb: Uint8Array, width: number, height: number): Promise<void> {
  const png = await encodeRgbPng(rgb, width, height);
  try {
    await writeFile(path, png);
  } catch (e) {
    throw new LucernaError(
      'BAD_FILE',
      `Cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      'Check that the folder exists and is writable',
    );
  }
}
