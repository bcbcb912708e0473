/**
 * The two pixel frames of a QA session (see `types.ts`): an image's `scale` and `offset` map image
 * pixels to model pixels, `model = image × scale − offset`. A stretched image has no offset; a
 * centre-cropped one is offset by the crop's corner (Zhang et al. 2017,
 * https://arxiv.org/abs/1704.03173, annotate the pictures people see, so answers arrive in image px).
 */
import type { Point, QaImage } from './types.js';

/** What a frame needs of an image. */
export type Framed = Pick<QaImage, 'scale' | 'offset'>;

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
