/**
 * Where a shown image's pixels land in the model input: the studio shows and takes clicks on the
 * original picture, while units and guesses live in model pixels. The map follows the model's
 * preprocessing (`io/preprocess.ts`): `stretch` scales each axis; `center-crop` scales the short
 * side to fit and cuts the centred window, so the crop's corner is an offset.
 */
import type { Point } from '../../disentangle/qa/types.js';
import { centerCropGeometry, type ResizeMode } from '../../io/preprocess.js';

/** Image px → model px: `model = image × scale − offset` (as `disentangle/qa/frame.ts` reads it). */
export interface ImageFrame {
  readonly scale: Point;
  readonly offset: Point;
}

/**
 * The frame of an image of natural size `[width, height]` preprocessed into a model input of
 * `[height, width]` (the order the input shape and `Preprocessing.size` use).
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
