/**
 * `lucerna invert [MODEL] --input <image> --layer <name> --out <file.png>`: network inversion
 * (Mahendran & Vedaldi 2015, https://arxiv.org/abs/1412.0035). Writes the reconstruction and its
 * loss curve beside it (`<out>.loss.json`, `<out>.loss.svg`). The work is in `invert-run.ts`.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { InvertFlags } from './invert-run.js';

/**
 * `lucerna invert`: reconstruct an image from its code at a layer.
 *
 * @example
 * ```sh
 * lucerna invert model.onnx --input cat.jpg --layer conv2 --out inv.png
 * ```
 */
export const invertCommand = defineCommand<InvertFlags>({
  name: 'invert',
  description: "reconstruct an image from its code at a layer (Mahendran & Vedaldi 2015, the paper's defaults)",
  arguments: [flags.modelArgument()],
  output: { kind: 'file', extensions: ['.png'] },
  options: [
    flags.input({ value: '<image>', description: 'the image whose code is inverted (PNG, JPEG, WebP)', required: true, deprecated: ['--image'] }),
    flags.layer('layer (activation tensor or node name)', true),
    flags.out('<file.png>', 'the reconstruction; the loss curve goes beside it', true),
    flags.steps('optimisation steps (default 400)'),
    { flags: '--lr <x>', description: "Adam's first step, in 0…255 pixel levels (default 4)" },
    { flags: '--tv-weight <x>', description: 'λV of the total variation (default 1, 10 or 100 by the layer depth)' },
    flags.seed(),
    flags.json('print a JSON summary'),
  ],
  run: async (ctx, [model], f) => (await import('./invert-run.js')).runInvert(ctx, model, f),
});
