/**
 * `lucerna dissect [MODEL] --dataset <broden dir> --layer <tensor>[,<tensor>...] --out <dir>`:
 * Network Dissection (Bau et al. 2017, https://arxiv.org/abs/1704.05796) with NetDissect-Lite's
 * semantics on a Broden-format set. Writes per layer `<layer>/tally.csv`, plus `result.json` and
 * `report.html`; `--shard i/n` runs one slice of the index (see `dissect merge`). The work is in
 * `dissect-run.ts`, loaded when the command runs.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { DissectFlags } from './dissect-run.js';

/**
 * `lucerna dissect`: the concept each unit of a layer detects best (IoU of its top activations).
 *
 * @example
 * ```sh
 * lucerna dissect model.onnx --dataset broden --layer relu4 --out dissect/
 * ```
 */
export const dissectCommand = defineCommand<DissectFlags>({
  name: 'dissect',
  description: 'Network Dissection: match every unit of a layer with the concept its top activations overlap best (IoU), on Broden-format data',
  arguments: [flags.modelArgument()],
  output: { kind: 'folder' },
  options: [
    { flags: '--dataset <dir>', description: 'Broden-format folder (index.csv, category.csv, label.csv, c_*.csv, images/)', required: true },
    { flags: '--layer <tensor,...>', description: 'layers (4-D activation tensors or node names), dissected in one forward pass', required: true },
    flags.out('<dir>', 'output folder: <layer>/tally.csv, result.json, report.html (or shard.json with --shard)', true),
    { flags: '--quantile <q>', description: 'top quantile of activations that makes a mask (default 0.005)' },
    { flags: '--categories <c,...>', description: 'categories to use (default all in category.csv)' },
    {
      flags: '--where <category=label>',
      description: 'only images containing this label (e.g. object=bird), with pixel labels kept on its pixels only (part dissection)',
    },
    {
      flags: '--association-radius <px>',
      description:
        "the ICNN paper's part association: a round receptive field of this radius (model-input pixels) around each activation above the threshold (default: the upsampled mask)",
    },
    flags.batchSize(8),
    { flags: '--iou-threshold <t>', description: 'IoU from which a unit counts as interpretable (default 0.04)' },
    { flags: '--top <n>', description: 'top images kept per unit for the report (default 4)' },
    { flags: '--report-units <n>', description: 'units shown with images in the report, best first (default 64)' },
    { flags: '--shard <i/n>', description: 'dissect slice i of n of the index: pass 1, or pass 2 with --thresholds' },
    { flags: '--thresholds <file>', description: 'shard.json of merged pass-1 shards: skip pass 1' },
    {
      flags: '--no-cache',
      description: 'run the model again in pass 2 instead of caching pass-1 activations (up to 2 GiB: 256 MiB in memory, the rest on disk)',
    },
    flags.json('print a JSON summary'),
  ],
  run: async (ctx, [model], f) => (await import('./dissect-run.js')).runDissect(ctx, model, f),
});
