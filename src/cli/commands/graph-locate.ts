/**
 * `lucerna graph locate <graph.json> --dataset <dir> --part <landmark> (--shots K | --annotations
 * clicks.csv) --out <dir> [--model <file>] [--class <name>] [--nodes 10] [--batch-size 8] [--json]`:
 * few-shot part localisation with an explanatory graph (Zhang et al. 2018,
 * https://arxiv.org/abs/1708.01785). The work is in `graph-locate-run.ts`, loaded when it runs.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { GraphLocateFlags } from './graph-locate-run.js';

/**
 * `lucerna graph locate`: pick the graph nodes that best predict a few clicks, locate the part on
 * the other images of the class and score it against two baselines.
 *
 * @example
 * ```sh
 * lucerna graph locate g/graph.json --dataset data/parts --part head --shots 3 --out loc/
 * ```
 */
export const graphLocateCommand = defineCommand<GraphLocateFlags>({
  name: 'graph locate',
  description: 'few-shot part localisation: pick the graph nodes that best predict a few clicks, locate the part on the other images and score it',
  arguments: [{ name: '<graph>', description: 'graph.json written by lucerna graph build' }],
  output: { kind: 'folder' },
  options: [
    { flags: '--dataset <dir>', description: 'Broden-format data set with landmarks.csv', required: true },
    { flags: '--part <landmark>', description: 'the landmark name to locate', required: true },
    flags.out('<dir>', 'write locate.csv and summary.json here', true),
    { flags: '--shots <k>', description: 'use the first K images of the class as the clicks' },
    { flags: '--annotations <csv>', description: 'clicks as image,landmark,x,y (image pixels)' },
    { flags: '--model <file>', description: 'the model (default: the one recorded in the graph)' },
    { flags: '--class <name>', description: 'the class (default: the graph’s)' },
    {
      flags: '--nodes <n>',
      description:
        "nodes that vote for the part, each by its fit on the clicks, with the clicks' mean position as a prior; only nodes firing on ≥ 70 % of the images (default 10)",
    },
    flags.batchSize(8),
    flags.json('print the summary as JSON'),
  ],
  run: async (ctx, [graph], f) => (await import('./graph-locate-run.js')).runGraphLocate(ctx, graph as string, f),
});
