/**
 * `lucerna dissect merge <dirs...> --out <dir>`: merges the folders of `lucerna dissect --shard`
 * runs: pass-1 shards give the thresholds file for pass 2, pass-2 shards the final outputs
 * (`<layer>/tally.csv`, `result.json`, `report.html`). The work is in `dissect-run.ts`.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { DissectMergeFlags } from './dissect-run.js';

/**
 * `lucerna dissect merge`: shard folders into thresholds or the final dissection.
 *
 * @example
 * ```sh
 * lucerna dissect merge s1/ s2/ --out merged/
 * ```
 */
export const dissectMergeCommand = defineCommand<DissectMergeFlags>({
  name: 'dissect merge',
  description: 'merge the folders of `dissect --shard` runs (pass-1 shards → thresholds; pass-2 shards → the final outputs)',
  arguments: [{ name: '<dirs...>', description: 'shard output folders' }],
  output: { kind: 'folder' },
  options: [
    flags.out('<dir>', 'output folder', true),
    { flags: '--iou-threshold <t>', description: 'IoU from which a unit counts as interpretable (default 0.04)' },
    { flags: '--report-units <n>', description: 'units shown with images in the report (default 64)' },
    flags.json('print a JSON summary'),
  ],
  run: async (ctx, [dirs], f) => (await import('./dissect-run.js')).runDissectMerge(ctx, dirs as unknown as string[], f),
});
