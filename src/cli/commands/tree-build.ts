/**
 * `lucerna tree build [MODEL] --dataset <dir> --class <name> --layer <tensor> --out <dir>
 * [--batch-size 8] [--beta 1] [--lambda0 l] [--neighbours 8] [--held-out <dir>] [--report] [--json]`: the decision tree of
 * prediction rationales (Zhang et al., CVPR 2019, https://arxiv.org/abs/1802.00121) of one class of
 * an ImageFolder data set. The work is in `tree-build-run.ts`, loaded when the command runs.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { TreeBuildFlags } from './tree-build-run.js';

/**
 * `lucerna tree build`: writes `<out>/tree.json`.
 *
 * @example
 * ```sh
 * lucerna tree build m.onnx --dataset photos/ --class bird --layer features --out t/
 * ```
 */
export const treeBuildCommand = defineCommand<TreeBuildFlags>({
  name: 'tree build',
  description: 'build the decision tree of one class’s prediction rationales (Zhang et al. 2019)',
  arguments: [flags.modelArgument()],
  output: { kind: 'folder' },
  options: [
    {
      flags: '--dataset <dir>',
      description: 'ImageFolder data set (one subfolder per class), or a Broden folder with a classes/ view (what lucerna dataset parts writes)',
      required: true,
    },
    { flags: '--class <name>', description: 'the class (subfolder) to explain', required: true },
    flags.layer('the top conv layer (4-D activation)', true),
    flags.out('<dir>', 'output folder for tree.json', true),
    flags.batchSize(8),
    { flags: '--beta <b>', description: 'compactness weight β (default 1)' },
    {
      flags: '--lambda0 <l>',
      description: 'refit α to the scores with L1 weight λ₀·√n on ‖α − 1‖₁ (default: none, modes are mean rationales)',
    },
    { flags: '--neighbours <k>', description: 'candidate merge partners per node (default 8)' },
    { flags: '--report', description: 'also write <out>/tree.html: the top levels of the tree with each node’s top filters' },
    { flags: '--parts <tally.csv>', description: 'name the report’s filters by part: tally.csv of lucerna dissect --categories part at this layer' },
    { flags: '--report-depth <d>', description: 'levels drawn below the root in the report (default 3)' },
    {
      flags: '--held-out <dir>',
      description:
        'held-out images (ImageFolder, same classes) to report the fidelity on: the paper’s error and Σ|ŷ − y|/Σ|y| at the root, modes and leaves (default: the val rows of a Broden --dataset, which the tree is then built without; none: build on every image, score none)',
    },
    { flags: '--no-normalise', description: 'compare raw rationales, without the paper’s per-filter scale by mean activation' },
    flags.json('print a JSON summary'),
  ],
  run: async (ctx, [model], f) => (await import('./tree-build-run.js')).runTreeBuild(ctx, model, f),
});
