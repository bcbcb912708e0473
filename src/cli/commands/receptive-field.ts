/**
 * `lucerna receptive-field [MODEL] --input <dir> --layer <tensor> [--count 16] [--out field.json]`:
 * a layer's theoretical receptive field and its empirical one (Zhou et al. 2015,
 * https://arxiv.org/abs/1412.6856), the radius to pass to `dissect --association-radius`. The work
 * is in `receptive-field-run.ts`.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { ReceptiveFieldFlags } from './receptive-field-run.js';

/**
 * `lucerna receptive-field`: how much of the image a layer's units see, and how much they look at.
 *
 * @example
 * ```sh
 * lucerna receptive-field model.onnx --input photos/ --layer Relu_33
 * ```
 */
export const receptiveFieldCommand = defineCommand<ReceptiveFieldFlags>({
  name: 'receptive-field',
  description: "a layer's theoretical receptive field and its empirical one (occlusion, Zhou et al. 2015): the radius for `dissect --association-radius`",
  arguments: [flags.modelArgument()],
  output: { kind: 'file', extensions: ['.json'] },
  options: [
    flags.input({ value: '<dir>', description: 'folder of images (PNG, JPEG, WebP…); the first --count by name are used', required: true }),
    flags.layer('layer (4-D activation tensor or node name)', true),
    { flags: '--count <n>', description: 'images to measure on (default 16)' },
    { flags: '--patch <px>', description: "occluder side in input pixels (default Zhou et al.'s 11 of 227, scaled to the input)" },
    { flags: '--stride <px>', description: "occluder step in input pixels (default Zhou et al.'s 3 of 227, scaled)" },
    flags.batchSize(32),
    flags.out('<file.json>', 'write the field, with the mean drop by offset from the peak, as JSON'),
    flags.json('print a JSON summary'),
  ],
  run: async (ctx, [model], f) => (await import('./receptive-field-run.js')).runReceptiveField(ctx, model, f),
});
