/**
 * `lucerna inspect [MODEL] [--json] [--shape 1x3x224x224]`: what is in a model. Inputs and outputs,
 * every node with its output shapes (learned by one probe run), parameter count and the layers
 * Grad-CAM can explain, with the one CAM methods pick by default. MODEL defaults to the bundled
 * model (its logits variant, the one every command runs). The work is in `inspect-run.ts`.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { InspectOptions } from './inspect-run.js';

/**
 * `lucerna inspect`: a model's inputs, outputs, nodes and CAM layers.
 *
 * @example
 * ```sh
 * lucerna inspect model.onnx --json
 * ```
 */
export const inspectCommand = defineCommand<InspectOptions>({
  name: 'inspect',
  description: 'show inputs, outputs, every node with its output shape, the parameter count and Grad-CAM layers',
  arguments: [flags.modelArgument()],
  options: [
    flags.json('print the summary as JSON'),
    { flags: '--shape <dims>', description: 'input shape to probe with, e.g. 1x3x224x224 (needed when H or W is symbolic)' },
  ],
  run: async (ctx, [model], f) => (await import('./inspect-run.js')).inspectRun(ctx, model, f),
});
