/**
 * `lucerna convert <model.json> <out.onnx> [--logits] [--labels a,b,c]`: converts a TensorFlow.js
 * LayersModel (model.json + weight shards) to ONNX, with a `.lucerna.json` sidecar that records the
 * preprocessing facts and the labels. The work is in `convert-run.ts`.
 */
import { LucernaError } from '../../errors.js';
import { checkOutputPath } from '../../io/write.js';
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { ConvertFlags } from './convert-run.js';

/**
 * `lucerna convert`: TF.js LayersModel → ONNX + sidecar.
 *
 * @example
 * ```sh
 * lucerna convert web_model/model.json model.onnx --logits
 * ```
 */
export const convertCommand = defineCommand<ConvertFlags>({
  name: 'convert',
  description: 'convert a TensorFlow.js LayersModel (model.json + weight shards) to ONNX, with a sidecar',
  arguments: [
    { name: '<model.json>', description: 'TF.js LayersModel JSON (its weight shards beside it)' },
    { name: '<out.onnx>', description: 'ONNX file to write (a .lucerna.json sidecar is written beside it)' },
  ],
  options: [
    { flags: '--logits', description: 'drop a final softmax so the model outputs logits' },
    { flags: '--labels <names>', description: 'class labels for the sidecar, separated by commas' },
    flags.json('print a summary as JSON'),
  ],
  run: async (ctx, [modelJson, out], f) => {
    if (!out) throw new LucernaError('BAD_OPTION', 'Give the ONNX file to write');
    checkOutputPath(out, 'file', 'the output');
    return (await import('./convert-run.js')).runConvert(ctx, modelJson as string, out, f);
  },
});
