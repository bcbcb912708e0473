/**
 * `lucerna evaluate [MODEL] --input <dir> [--ground-truth <dir>] --methods <list> --metrics <list> --out <report.html>`:
 * evaluates attribution methods over a folder of images with faithfulness, localisation and
 * sanity-check metrics, and writes a self-contained HTML report with the same table as JSON and
 * CSV beside it (all three together, only when the run succeeds). Images stream through one at a
 * time. The work is in `evaluate-run.ts`, loaded when the command runs.
 */
import { methodNames } from '../../attribution/methods.js';
import { metricNames } from '../../metrics/registry.js';
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { EvaluateFlags } from './evaluate-options.js';

/**
 * `lucerna evaluate`: metrics × methods over a folder of images.
 *
 * @example
 * ```sh
 * lucerna evaluate model.onnx --input photos/ --methods saliency,grad-cam --metrics deletion --out eval.html
 * ```
 */
export const evaluateCommand = defineCommand<EvaluateFlags>({
  name: 'evaluate',
  description: 'score attribution methods over a folder of images and write an HTML report (+ JSON and CSV)',
  arguments: [flags.modelArgument()],
  output: { kind: 'file', extensions: ['.html', '.htm'] },
  options: [
    flags.input({ value: '<dir>', description: 'folder of images (PNG, JPEG, WebP…)', required: true, deprecated: ['--images'] }),
    {
      flags: '--ground-truth <dir>',
      description: 'folder of PNG masks, same file stem as the images; nonzero means object',
      deprecated: ['--masks <dir>'],
    },
    { flags: '--methods <list>', description: `comma-separated methods: ${methodNames().join(', ')}`, required: true },
    { flags: '--metrics <list>', description: `comma-separated metrics: ${metricNames().join(', ')}`, required: true },
    flags.out('<report.html>', 'the HTML report; .json and .csv are written beside it', true),
    flags.target(),
    flags.layer('layer for CAM methods'),
    { flags: '--curve-steps <n>', description: 'deletion/insertion steps per curve (default 100)' },
    { flags: '--deletion-baseline <spec>', description: 'what deleted pixels become: zeros (default), blur or a number' },
    { flags: '--insertion-baseline <spec>', description: 'what insertion starts from: blur (default), zeros or a number' },
    { flags: '--score <kind>', description: 'deletion/insertion score: probability (default) or logit' },
    { flags: '--tolerance <px>', description: 'pointing game tolerance in pixels (default 15)' },
    { flags: '--stages <n>', description: 'randomization stages spread over the layers (default 5)' },
    { flags: '--infidelity-samples <n>', description: 'infidelity perturbations per image (default 32)', deprecated: ['--samples <n>'] },
    { flags: '--stdev <x>', description: 'infidelity Gaussian noise standard deviation (default 0.1)' },
    { flags: '--square <px>', description: 'infidelity square side in pixels (default a quarter of the image)' },
    { flags: '--raw-infidelity', description: "infidelity without fitting the attribution scale (the paper's raw form)" },
    { flags: '--radius <r>', description: 'max-sensitivity L∞ radius in input units (default 0.02)' },
    { flags: '--sensitivity-samples <n>', description: 'max-sensitivity samples per image (default 10)' },
    flags.seed(),
    flags.batchSize(16),
    flags.json('print the summary as JSON (no progress bar)'),
  ],
  run: async (ctx, [model], f) => {
    const { evaluationPlan } = await import('./evaluate-options.js');
    evaluationPlan(f); // every flag is checked before anything is loaded
    return (await import('./evaluate-run.js')).runEvaluate(ctx, model, f);
  },
});
