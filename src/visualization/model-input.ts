/**
 * The last part of a visualization prefix: an RGB image in [0, 1] becomes the model's input, with
 * the model's own preprocessing (normalisation, channel order, grey, NHWC layout) emitted as ONNX
 * nodes, so visualizations are optimised in image space whatever the model expects.
 */
import type { Model } from '../engine/model.js';
import { LucernaError } from '../errors.js';
import { type PixelOptions, resolveNormalization } from '../io/preprocess.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { formatShape } from '../tensor/tensor.js';

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

/**
 * Throws `UNSUPPORTED_MODEL` unless the model takes an image batch (rank 4, with 1 or 3 channels,
 * or a symbolic channel dim, where `pixels.layout` puts them; either layout when `pixels` is not
 * given), saying what `needs` (the function or command) needs and what the model takes, in one line.
 *
 * @example
 * ```ts
 * requireImageModel(model, pixels, 'Activation maximisation');
 * // "Activation maximisation needs a model that takes images [N, C, H, W]; tab.onnx takes "features" of shape [N, 10] (rank 2)"
 * ```
 */
export function requireImageModel(model: Model, pixels: PixelOptions | undefined, needs: string): void {
  const dims = model.input.dims;
  const layout = pixels?.layout ?? 'NCHW';
  const wanted = layout === 'NHWC' ? '[N, H, W, C]' : '[N, C, H, W]';
  const takes = `${model.name} takes "${model.input.name}" of shape ${formatShape(dims)}`;
  if (dims.length !== 4) {
    throw new LucernaError(
      'UNSUPPORTED_MODEL',
      `${needs} needs a model that takes images ${wanted}; ${takes} (rank ${dims.length})`,
      'Use a model with image input',
    );
  }
  const fits = (d: number | string | undefined) => typeof d !== 'number' || d === 1 || d === 3;
  const channels = layout === 'NHWC' ? dims[3] : dims[1];
  if (!(pixels ? fits(channels) : fits(dims[1]) || fits(dims[3]))) {
    throw new LucernaError(
      'UNSUPPORTED_MODEL',
      `${needs} needs a model that takes images ${wanted} with 1 or 3 channels; ${takes} (${channels} channels)`,
      'Use a model with image input',
    );
  }
}
