/**
 * `lucerna explain [MODEL] [--input <image>...] [--methods a,b] [--target argmax|n|label] [--top k]
 * [--layer name] [--out report.html] [--json]`: the main job. Runs several attribution methods on
 * one or more images and writes one self-contained HTML report (see `render/report`).
 *
 * Everything is checked before any work (flags, images, the output path, the model's input), and
 * the report is written atomically at the end: a failed or cancelled run leaves no partial report.
 * The work is in `explain-run.ts`, loaded when the command runs.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import { methodFlagSpecs } from './attribute-options.js';
import { EXPLAIN_OWN_FLAGS, EXPLAIN_PRESETS } from './explain-methods.js';
import { DEFAULT_METHODS, DEFAULT_OUT, type ExplainFlags } from './explain-options.js';

/**
 * `lucerna explain`: several methods side by side in one HTML report.
 *
 * @example
 * ```sh
 * lucerna explain --input cat.jpg --out report.html
 * ```
 */
export const explainCommand = defineCommand<ExplainFlags>({
  name: 'explain',
  description: 'explain predictions with several methods side by side, in one self-contained HTML report',
  arguments: [flags.modelArgument()],
  output: { kind: 'file', default: DEFAULT_OUT, extensions: ['.html', '.htm'] },
  options: [
    flags.input({ value: '<image...>', description: 'images to explain (default: a bundled photo)', deprecated: ['--image'] }),
    { flags: '--methods <list>', description: `comma-separated methods (default: ${DEFAULT_METHODS.join(',')})` },
    flags.target('argmax (default), a class index or label, or a comma-separated list: one grid column each'),
    { flags: '--top <k>', description: 'predictions shown in the bar chart (default 5)' },
    flags.layer('layer for CAM methods (default: the last 4-D activation before global pooling)'),
    flags.out('<file>', `the report file (default ${DEFAULT_OUT})`),
    flags.json('print the report data as JSON (without the images) instead of the summary'),
    { flags: '--mode <mode>', description: 'blended (default), heatmap, masked or alpha-scaling' },
    // Every method's own flags, from the registry, with explain's quick-run defaults in the help.
    ...methodFlagSpecs({ exclude: EXPLAIN_OWN_FLAGS, defaults: EXPLAIN_PRESETS, postprocess: false }).map(explainPixelFlag),
    flags.batchSize(8),
  ],
  run: async (ctx, [model], f) => (await import('./explain-run.js')).explainRun(ctx, model, f),
});

/**
 * explain takes the occlusion window and stride as one number in pixels (square, over every
 * channel), where `attribute` takes one size per dimension: its help says so.
 */
function explainPixelFlag(spec: { flags: string; description: string }): { flags: string; description: string } {
  const long = spec.flags.split(' ')[0];
  if (long !== '--window' && long !== '--stride') return spec;
  const what = long === '--window' ? 'occlusion window side in pixels, over every channel' : 'occlusion stride in pixels';
  return { flags: `${long} <px>`, description: spec.description.replace(/^occlusion (window|stride) per dimension/, what) };
}
