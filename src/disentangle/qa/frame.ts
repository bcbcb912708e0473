/**
 * The two pixel frames of a QA session (see `types.ts`): an image's `scale` and `offset` map image
 * pixels to model pixels, `model = image × scale − offset`. A stretched image has no offset; a
 * centre-cropped one is offset by the crop's corner (Zhang et al. 2017,
 * https://arxiv.org/abs/1704.03173, annotate the pictures people see, so answers arrive in image px).
 * The studio and `lucerna graph qa` both take an image's frame from the model's preprocessing
 * ({@link imageFrame}), so a click or a `landmarks.csv` point lands where the units see it.
 */
import { centerCropGeometry, type ResizeMode } from '../../io/preprocess.js';
import type { Point, QaImage } from './types.js';

/** What a frame needs of an image. */
export type Framed = Pick<QaImage, 'scale' | 'offset'>;

/** Image px → model px: `model = image × scale − offset`. */
export interface ImageFrame {
  readonly scale: Point;
  readonly offset: Point;
}

/**
 * The frame of an image of natural size `[width, height]` preprocessed into a model input of
 * `[height, width]` (the order the input shape and `Preprocessing.size` use), following the
 * preprocessing (`io/preprocess.ts`): `stretch` scales each axis; `center-crop` scales the short
 * side to fit and cuts the centred window, so the crop's corner is an offset.
 *
 * @example
 * ```ts
 * imageFrame([640, 480], [224, 224], 'center-crop'); // { scale: [0.4672, 0.4667], offset: [37, 0] }
 * imageFrame([64, 64], [32, 32], 'stretch'); // { scale: [0.5, 0.5], offset: [0, 0] }
 * ```
 */
export function imageFrame([width, height]: Point, [inputHeight, inputWidth]: Point, resize: ResizeMode): ImageFrame {
  if (resize === 'stretch') return { scale: [inputWidth / width, inputHeight / height], offset: [0, 0] };
  const g = centerCropGeometry(width, height, inputWidth, inputHeight);
  return { scale: [g.resizeWidth / width, g.resizeHeight / height], offset: [g.left, g.top] };
}

/**
 * An image-pixel point in model pixels.
 *
 * @example
 * ```ts
 * imageToModel({ scale: [0.5, 0.5], offset: [4, 0] }, [20, 10]); // [6, 5]
 * ```
 */
export function imageToModel(im: Framed, [x, y]: Point): Point {
  const [sx, sy] = im.scale ?? [1, 1];
  const [ox, oy] = im.offset ?? [0, 0];
  return [x * sx - ox, y * sy - oy];
}

/**
 * A model-pixel point in image pixels (the inverse of {@link imageToModel}).
 *
 * @example
 * ```ts
 * modelToImage({ scale: [0.5, 0.5], offset: [4, 0] }, [6, 5]); // [20, 10]
 * ```
 */
export function modelToImage(im: Framed, [x, y]: Point): Point {
  const [sx, sy] = im.scale ?? [1, 1];
  const [ox, oy] = im.offset ?? [0, 0];
  return [(x + ox) / sx, (y + oy) / sy];
}

/**
 * Whether an image-pixel point survives the preprocessing: inside the model input of
 * `[height, width]` once mapped (a landmark in the part a centre crop cuts away is not visible
 * to the model, so a simulated user counts it absent).
 *
 * @example
 * ```ts
 * insideModel({ scale: [1, 1], offset: [16, 0] }, [8, 10], [64, 64]); // false: cropped away
 * ```
 */
export function insideModel(im: Framed, point: Point, [height, width]: Point): boolean {
  const [x, y] = imageToModel(im, point);
  return x >= 0 && y >= 0 && x <= width && y <= height;
}
