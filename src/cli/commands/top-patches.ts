/**
 * `lucerna top-patches [MODEL] --input <dir> --layer <name> [--channels …] [--k 9] --out <dir>`:
 * the k receptive-field crops that excite each channel most over a folder of images, as montages
 * (`channel-<c>.png`) plus `index.json`. The work is in `top-patches-run.ts`.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { TopPatchesFlags } from './top-patches-run.js';

/**
 * `lucerna top-patches`: the patches that excite each channel most.
 *
 * @example
 * ```sh
 * lucerna top-patches model.onnx --input photos/ --layer conv3 --out patches/
 * ```
 */
export const topPatchesCommand = defineCommand<TopPatchesFlags>({
  name: 'top-patches',
  description: 'find the image patches (receptive-field crops) that excite each channel of a layer most, over a folder of images',
  arguments: [flags.modelArgument()],
  output: { kind: 'folder' },
  options: [
    flags.input({ value: '<dir>', description: 'folder of images (PNG, JPEG, WebP…), read one at a time', required: true, deprecated: ['--images'] }),
    flags.layer('layer (4-D activation tensor or node name)', true),
    flags.channels('channels to rank (default all)'),
    { flags: '--k <n>', description: 'patches per channel (default 9)' },
    flags.batchSize(8),
    flags.out('<dir>', 'output folder for the montages and index.json', true),
    flags.json('print a JSON summary'),
  ],
  run: async (ctx, [model], f) => (await import('./top-patches-run.js')).runTopPatches(ctx, model, f),
});
