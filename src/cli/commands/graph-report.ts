/**
 * `lucerna graph report <graph.json> --dataset <dir> --out report.html [--model <file>] [--class <name>]
 * [--nodes 8] [--batch-size 8] [--json]`: the HTML view of an explanatory graph (Zhang et al. 2018,
 * "Interpreting CNN Knowledge via an Explanatory Graph", https://arxiv.org/abs/1708.01785): its
 * layers of nodes laid out by ELK, each node with the patches where it fires most; a click shows
 * its parents, children and the image regions they explain. The work is in `graph-report-run.ts`,
 * loaded when the command runs.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { GraphReportFlags } from './graph-report-run.js';

/**
 * `lucerna graph report`: browse a graph's part patterns in a self-contained page.
 *
 * @example
 * ```sh
 * lucerna graph report g/graph.json --dataset data/parts --out g/report.html
 * ```
 */
export const graphReportCommand = defineCommand<GraphReportFlags>({
  name: 'graph report',
  description: 'HTML view of an explanatory graph: layers of nodes with their image patches, parents and children',
  arguments: [{ name: '<graph.json>', description: 'a graph written by lucerna graph build' }],
  output: { kind: 'file', extensions: ['.html', '.htm'] },
  options: [
    { flags: '--dataset <dir>', description: 'the data set the patches come from (images of the graph’s class)', required: true },
    flags.out('<report.html>', 'write the page here', true),
    { flags: '--model <file>', description: 'the model (default: the one the graph records)' },
    { flags: '--class <name>', description: 'images of this class (default: the graph’s class)' },
    { flags: '--nodes <n>', description: 'nodes drawn per layer, those that fired on the most images (default 8)' },
    flags.batchSize(8),
    flags.json('print the summary as JSON'),
  ],
  run: async (ctx, [graph], f) => (await import('./graph-report-run.js')).runGraphReport(ctx, graph as string, f),
});
