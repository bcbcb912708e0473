/**
 * `lucerna graph build [MODEL] --dataset <dir> --class <name> --layer <t1,t2,...> --out <dir>
 * [--patterns 40,40,20,20] [--parents 15] [--peaks 5] [--iterations 5] [--batch-size 8] [--json]`:
 * mines an explanatory graph (Zhang et al. 2018, "Interpreting CNN Knowledge via an Explanatory
 * Graph", https://arxiv.org/abs/1708.01785) and writes `<out>/graph.json`. The work is in
 * `graph-build-run.ts`, loaded when the command runs.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { GraphBuildFlags } from './graph-build-run.js';

/**
 * `lucerna graph build`: part patterns per filter, linked across conv layers, mined on one class.
 *
 * @example
 * ```sh
 * lucerna graph build net.onnx --dataset data/parts --class bird --layer relu3,relu4 --out g/
 * ```
 */
export const graphBuildCommand = defineCommand<GraphBuildFlags>({
  name: 'graph build',
  description: 'mine an explanatory graph (part patterns per filter, linked across layers) from conv layers on one class',
  arguments: [flags.modelArgument()],
  output: { kind: 'folder' },
  options: [
    { flags: '--dataset <dir>', description: 'Broden-format data set with landmarks.csv (lucerna dataset parts writes one)', required: true },
    { flags: '--class <name>', description: 'the object class whose images are mined', required: true },
    flags.layer('conv layers, lower to top, comma-separated', true),
    flags.out('<dir>', 'write graph.json here', true),
    { flags: '--patterns <n,...>', description: 'patterns per filter per layer, lower to top (default: the paper’s 40,40,20,20, top-aligned)' },
    { flags: '--parents <n>', description: 'parents per node (default 15)' },
    { flags: '--peaks <n>', description: 'peaks kept per filter and image (default 5)' },
    { flags: '--iterations <n>', description: 'EM iterations per layer (default 5)' },
    flags.batchSize(8),
    flags.json('print the summary as JSON'),
  ],
  run: async (ctx, [model], f) => (await import('./graph-build-run.js')).runGraphBuild(ctx, model, f),
});
