/**
 * `lucerna visualize [MODEL] --layer <name> --channels <c>[,<c>…] [--objective <expr>] [--steps 512]
 * [--size 224] [--param fourier|pixel] [--seed n] --out <dir>`: activation maximisation. Writes one
 * PNG per optimised image and the objective curve (curve.json, curve.svg) into the folder `--out`.
 * The work is in `visualize-run.ts`, loaded when the command runs.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { VisualizeFlags } from './visualize-run.js';

/**
 * `lucerna visualize`: images that maximise a channel, a layer or an objective expression.
 *
 * @example
 * ```sh
 * lucerna visualize model.onnx --layer conv3 --channels 4,5 --out vis/
 * ```
 */
export const visualizeCommand = defineCommand<VisualizeFlags>({
  name: 'visualize',
  description: 'synthesise images that maximise a channel, a unit, a layer or an objective expression (activation maximisation)',
  arguments: [flags.modelArgument()],
  output: { kind: 'folder' },
  options: [
    flags.layer('layer (activation tensor or node name)'),
    flags.channels('channel(s) of --layer to maximise, one image each'),
    { flags: '--objective <expr>', description: 'objective expression instead of --layer/--channels, e.g. "conv3:12 - 100 * diversity(conv3)"' },
    { flags: '--batch-size <n>', description: 'images optimised together for --objective (default 1)', deprecated: ['--batch <n>'] },
    { flags: '--diversity <weight>', description: 'subtract weight × diversity(layer) (needs several images)' },
    flags.steps('optimisation steps (default 512)'),
    { flags: '--size <px>', description: 'image size (default: the model input size)' },
    { flags: '--memory-limit <size>', description: 'refuse sizes whose estimated memory exceeds this, e.g. 8G (default: half of the machine memory)' },
    { flags: '--param <kind>', description: 'parameterization: fourier (default) or pixel' },
    { flags: '--no-decorrelate', description: 'optimise RGB directly instead of decorrelated colour' },
    { flags: '--transforms <set>', description: 'robustness transforms: standard (default) or none' },
    { flags: '--lr <x>', description: 'Adam step size (default 0.05)' },
    flags.seed(),
    flags.out('<dir>', 'output folder for the PNGs and the curve', true),
    flags.json('print a JSON summary'),
  ],
  run: async (ctx, [model], f) => (await import('./visualize-run.js')).runVisualize(ctx, model, f),
});
