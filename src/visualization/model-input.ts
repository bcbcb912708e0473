/**
 * The last part of a visualization prefix: an RGB image in [0, 1] becomes the model's input, with
 * the model's own preprocessing (normalisation, channel order, grey, NHWC layout) emitted as ONNX
 * nodes, so visualizations are optimised in image space whatever the model expects.
 */
import { LucernaError } from '../errors.js';
import { type PixelOptions, resolveNormalization } from '../io/preprocess.js';
import type { GraphBuilder } from '../onnx/builder.js';

/** Rec. 601 luma weights, as the image loader uses for one-channel models. */
const LUMA = [0.299, 0.587, 0.114];

/** The default pixel options: ImageNet normalisation, NCHW, RGB, 3 channels. @example `emitModelInput(b, image, shape, DEFAULT_PIXEL_OPTIONS)` */
export const DEFAULT_PIXEL_OPTIONS: PixelOptions = { normalization: 'imagenet', layout: 'NCHW', channelOrder: 'RGB', channels: 3 };

/**
 * Emits image [N, 3, H, W] in [0, 1] → model input: grey or BGR mixing (a 1×1 Conv), then
 * `(x − mean) / std`, then NHWC when the model wants it. Returns the input tensor name and shape.
 *
 * @example
 * ```ts
 * const input = emitModelInput(b, image, [1, 3, 224, 224], { normalization: 'imagenet', layout: 'NCHW', channelOrder: 'RGB', channels: 3 });
 * ```
 */
export function emitModelInput(
  b: GraphBuilder,
  image: string,
  [n, , h, w]: readonly [number, number, number, number],
  pixels: PixelOptions = DEFAULT_PIXEL_OPTIONS,
): { name: string; shape: number[] } {
  const channels = pixels.channels;
  if (channels !== 1 && channels !== 3) throw new LucernaError('BAD_OPTION', `Models with ${channels} input channels are not supported`);
  let x = image;
  if (channels === 1) x = b.op('Conv', [x, b.constFloat(LUMA, [1, 3, 1, 1], 'luma')]);
  else if (pixels.channelOrder === 'BGR') x = b.op('Conv', [x, b.constFloat([0, 0, 1, 0, 1, 0, 1, 0, 0], [3, 3, 1, 1], 'rgb_to_bgr')]);
  const { mean, std } = resolveNormalization(pixels.normalization, channels);
  const ordered = (v: number[]) => (channels === 3 && pixels.channelOrder === 'BGR' ? [...v].reverse() : v);
  const scaleBy = ordered(std.map((s) => 1 / s));
  const shiftBy = ordered(mean.map((m, i) => -m / (std[i] as number)));
  x = b.op('Add', [b.op('Mul', [x, b.constFloat(scaleBy, [1, channels, 1, 1], 'inverse_std')]), b.constFloat(shiftBy, [1, channels, 1, 1], 'shift')]);
  if (pixels.layout === 'NHWC') return { name: b.op('Transpose', [x], { perm: [0, 2, 3, 1] }), shape: [n, h, w, channels] };
  return { name: x, shape: [n, channels, h, w] };
}
