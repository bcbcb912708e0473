/**
 * Decodes an image file in the browser (a worker or the page) into a model input tensor: the
 * browser decodes, an OffscreenCanvas resizes (centre crop or stretch, as `io/preprocess.ts`
 * decides), and the core's {@link rgbToTensor} normalises. The Node build decodes with sharp, so
 * resized pixels may differ by a rounding step between the two.
 */
import { LucernaError } from '../../errors.js';
import { centerCropGeometry, type Preprocessing, resolvePreprocessing, rgbToTensor } from '../../io/preprocess.js';
import type { Tensor } from '../../tensor/tensor.js';

/**
 * RGBA pixels to interleaved RGB.
 *
 * @example
 * ```ts
 * rgbaToRgb(Uint8ClampedArray.of(1, 2, 3, 255)); // Uint8Array [1, 2, 3]
 * ```
 */
export function rgbaToRgb(rgba: ArrayLike<number>): Uint8Array {
  const n = rgba.length / 4;
  const rgb = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    rgb[p * 3] = rgba[p * 4] as number;
    rgb[p * 3 + 1] = rgba[p * 4 + 1] as number;
    rgb[p * 3 + 2] = rgba[p * 4 + 2] as number;
  }
  return rgb;
}

/**
 * An encoded image (PNG, JPEG, WebP…) as a `[1, C, H, W]` (or NHWC) tensor for a model with input
 * dims `inputDims`.
 *
 * @example
 * ```ts
 * const x = await decodeImage(new Uint8Array(await file.arrayBuffer()), model.input.dims);
 * ```
 */
export async function decodeImage(bytes: Uint8Array, inputDims: readonly (number | string)[], preprocessing: Preprocessing = {}): Promise<Tensor> {
  const p = resolvePreprocessing(preprocessing, inputDims);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as BlobPart]));
  } catch {
    throw new LucernaError('BAD_FILE', 'The browser cannot decode this image', 'Use a PNG, JPEG or WebP file');
  }
  const [height, width] = p.size;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new LucernaError('RUNTIME_ERROR', 'This browser has no 2-D canvas');
  // Transparent pixels are composited onto white, as the Node loader does by default.
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingQuality = 'high';
  if (p.resize === 'stretch') ctx.drawImage(bitmap, 0, 0, width, height);
  else {
    const g = centerCropGeometry(bitmap.width, bitmap.height, width, height);
    ctx.drawImage(bitmap, -g.left, -g.top, g.resizeWidth, g.resizeHeight);
  }
  bitmap.close();
  const rgb = rgbaToRgb(ctx.getImageData(0, 0, width, height).data);
  return rgbToTensor(rgb, width, height, p);
}
