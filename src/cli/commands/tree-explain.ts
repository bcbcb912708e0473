/**
 * `lucerna tree explain <tree.json> [MODEL] --input <image> [--top 5] [--out report.html] [--json]`: the decision path
 * of one image in a rationale tree (Zhang et al., CVPR 2019, https://arxiv.org/abs/1802.00121).
 * The work is in `tree-explain-run.ts`, loaded when the command runs.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { TreeExplainFlags } from './tree-explain-run.js';

/**
 * `lucerna tree explain`: at each level, the node taken and the filters that contributed most.
 *
 * @example
 * ```sh
 * lucerna tree explain t/tree.json m.onnx --input x.png --json
 * ```
 */
export const treeExplainCommand = defineCommand<TreeExplainFlags>({
  name: 'tree explain',
  description: 'the decision path of an image in a rationale tree, with each level’s top filters',
  arguments: [{ name: '<tree>', description: 'tree.json written by lucerna tree build' }, flags.modelArgument()],
  output: { kind: 'file', extensions: ['.html', '.htm'] },
  options: [
    flags.out('<report.html>', 'write an HTML report: the tree with the image’s path and its contributions at each level'),
    { flags: '--parts <tally.csv>', description: 'name the report’s filters by part: tally.csv of lucerna dissect --categories part at the tree’s layer' },
    { flags: '--report-depth <d>', description: 'levels drawn below the root besides the path (default 3)' },
    flags.input({ value: '<image>', description: 'the image to explain', required: true }),
    { flags: '--top <k>', description: 'filters listed per level (default 5)' },
    flags.json('print the path as JSON'),
  ],
  run: async (ctx, [tree, model], f) => (await import('./tree-explain-run.js')).runTreeExplain(ctx, tree as string, model, f),
});
