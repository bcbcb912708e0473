/**
 * `lucerna graph qa <graph.json> --simulate <dataset> --part <landmark> --out <dir> [--questions 20]
 * [--initial 3] [--seeds 5] [--radius 3] [--committee 10] [--units filters|nodes] [--model <file>]
 * [--class <name>] [--batch-size 8] [--json]`: active question-answering part learning (Zhang et al.
 * 2017, https://arxiv.org/abs/1704.03173) run headless with a simulated user from `landmarks.csv`,
 * active against random question selection. Images are read with the model's own preprocessing
 * (a centre crop included) and landmarks mapped through it. The work is in `graph-qa-run.ts`, loaded when it runs.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { GraphQaFlags } from './graph-qa-run.js';

/**
 * `lucerna graph qa --simulate`: the error-vs-questions curve of active and random selection.
 *
 * @example
 * ```sh
 * lucerna graph qa g/graph.json --simulate data/parts --part head --out qa/
 * ```
 */
export const graphQaCommand = defineCommand<GraphQaFlags>({
  name: 'graph qa',
  description: 'active question-answering part learning, run with a simulated user: error vs questions, active against random selection',
  arguments: [{ name: '<graph>', description: 'graph.json written by lucerna graph build' }],
  output: { kind: 'folder' },
  options: [
    { flags: '--simulate <dir>', description: 'Broden-format data set whose landmarks.csv answers the questions', required: true },
    { flags: '--part <landmark>', description: 'the landmark name to learn', required: true },
    flags.out('<dir>', 'write curve.json here', true),
    { flags: '--questions <n>', description: 'questions per run (default 20)' },
    { flags: '--initial <n>', description: 'initial clicks per run, on pool images drawn with the seed (default 3)' },
    { flags: '--seeds <n>', description: 'runs per selection, seeds 0…n−1 (default 5)' },
    { flags: '--radius <px>', description: 'the simulated user says yes within this many image pixels (default 3)' },
    { flags: '--committee <n>', description: 'units in the part model (default 10)' },
    {
      flags: '--units <kind>',
      description:
        'the part model’s units: filters (raw filters of the graph’s layers; the default, active selection clearly wins with them) or nodes (graph nodes)',
    },
    { flags: '--filters', description: 'the same as --units filters (the default)' },
    { flags: '--model <file>', description: 'the model (default: the one recorded in the graph)' },
    { flags: '--class <name>', description: 'the class (default: the graph’s)' },
    flags.batchSize(8),
    flags.json('print the summary as JSON'),
  ],
  run: async (ctx, [graph], f) => (await import('./graph-qa-run.js')).runGraphQa(ctx, graph as string, f),
});
