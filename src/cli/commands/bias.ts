/**
 * `lucerna bias [MODEL] --dataset <dir> --attributes <attributes.csv> --layer <tensor> --out <dir>
 * [--threshold 0.3] [--filters 3] [--dissection <result.json>] [--batch-size 8] [--json]`: bias discovery (Zhang, Wang, Zhu,
 * "Examining CNN Representations with respect to Dataset Bias", AAAI 2018,
 * https://arxiv.org/abs/1710.10577) on a part data set written by `lucerna dataset parts`. The work
 * is in `bias-run.ts`, loaded when the command runs.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { BiasFlags } from './bias-run.js';

/**
 * `lucerna bias`: relations (an attribute value favouring one class over another) the network relies on more (or less) than the
 * unbiased split justifies; writes `bias.json`, `report.html` and `predictions.csv`.
 *
 * @example
 * ```sh
 * lucerna bias model.onnx --dataset data/parts --attributes data/parts/attributes.csv --layer /relu2/Relu_output_0 --out bias/
 * ```
 */
export const biasCommand = defineCommand<BiasFlags>({
  name: 'bias',
  description: 'bias discovery: relations (an attribute value favouring one class over another) the network relies on more than the unbiased split justifies',
  arguments: [flags.modelArgument()],
  output: { kind: 'folder' },
  options: [
    { flags: '--dataset <dir>', description: 'data set written by lucerna dataset parts, or its classes/ ImageFolder view', required: true },
    { flags: '--attributes <csv>', description: 'attributes.csv of that data set (image, split and attribute columns)', required: true },
    flags.layer('conv layer (4-D activation tensor or node name)', true),
    flags.out('<dir>', 'write bias.json, report.html and predictions.csv here (must not exist or be empty)', true),
    {
      flags: '--threshold <f>',
      description: 'absolute bias (partial correlation of class evidence and attribute given the class) at which a relation is flagged, 0 to 1 (default 0.3)',
    },
    { flags: '--filters <m>', description: 'evidence filters listed per relation (default 3)' },
    {
      flags: '--dissection <path>',
      description: 'result.json of lucerna dissect (or its folder) at the same layer: label each evidence filter with its concept and IoU',
    },
    flags.batchSize(8),
    flags.json(),
  ],
  run: async (ctx, [model], f) => (await import('./bias-run.js')).runBias(ctx, model, f),
});
