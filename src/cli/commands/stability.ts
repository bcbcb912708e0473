/**
 * `lucerna stability [MODEL] --dataset <dir> --layer <tensor> [--class <name>] [--protocol default|icnn]
 * [--top-images 100] [--select-ratio 1] [--batch-size 8] [--out <dir>] [--json]`: the location
 * instability of every filter of a layer (Zhang et al. 2018, "Interpretable Convolutional Neural
 * Networks", https://arxiv.org/abs/1710.00935) on a Broden-format data set with `landmarks.csv`.
 * The work is in `stability-run.ts`, loaded when the command runs.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { StabilityFlags } from './stability-run.js';

/**
 * `lucerna stability`: how much each filter's peak moves relative to the object landmarks.
 *
 * @example
 * ```sh
 * lucerna stability model.onnx --dataset data/parts --layer relu4 --class bird --json
 * ```
 */
export const stabilityCommand = defineCommand<StabilityFlags>({
  name: 'stability',
  description: 'location instability of each filter of a layer: how much its peak moves relative to the object landmarks across images',
  arguments: [
    {
      ...flags.modelArgument(),
      description: `${flags.modelArgument().description}; or a graph.json (its nodes are measured beside the filters of its layers)`,
    },
  ],
  output: { kind: 'folder' },
  options: [
    { flags: '--dataset <dir>', description: 'Broden-format data set with landmarks.csv (lucerna dataset parts writes one)', required: true },
    flags.layer('layer (4-D activation tensor or node name); required for a model'),
    { flags: '--model <file>', description: 'graph.json: the model (default: the one the graph records)' },
    { flags: '--class <name>', description: 'count only images with an object of this class (default: every image with an object)' },
    {
      flags: '--protocol <p>',
      description:
        'default (the documented definition, the default) or icnn (the ICNN authors’ code); a graph.json: graph (the graph paper’s, its default) or default',
    },
    { flags: '--top-images <k>', description: 'icnn: images per filter and landmark, best peaks first (default 100); graph: images per unit (default 20)' },
    { flags: '--top-units <n>', description: 'graph: best-ranked nodes and filters measured per layer (default: the layer’s filter count)' },
    { flags: '--select-ratio <r>', description: 'icnn: fraction of the most stable filters averaged for the layer (default 1)' },
    flags.batchSize(8),
    flags.out('<dir>', 'write filters.csv, summary.json and report.html here'),
    flags.json(),
  ],
  run: async (ctx, [model], f) => (await import('./stability-run.js')).runStability(ctx, model, f),
});
