/**
 * `lucerna convert <model.json> <out.onnx> [--logits] [--labels a,b,c]`: converts a TensorFlow.js
 * LayersModel (model.json + weight shards) to ONNX, with a `.lucerna.json` sidecar that records
 * the preprocessing facts (the original NHWC input, the layout change) and the labels.
 */
import { extname } from 'node:path';
import type { Command } from 'commander';
import { convertLayersModelFile, writeConvertedModel } from '../../convert/node.js';
import { LucernaError } from '../../errors.js';
import { sidecarPath } from '../../io/sidecar.js';
import { formatShapeList } from '../../onnx/shape-format.js';

/** Flags of `lucerna convert`. */
export interface ConvertFlags {
  readonly logits?: boolean;
  readonly labels?: string;
  readonly json?: boolean;
}

/**
 * Converts one model.json to ONNX and writes the model and its sidecar atomically.
 *
 * @example
 * ```ts
 * const summary = await runConvert('web_model/model.json', 'model.onnx', { logits: true });
 * ```
 */
export async function runConvert(modelJson: string, out: string, flags: ConvertFlags = {}) {
  if (extname(out).toLowerCase() !== '.onnx') throw new LucernaError('BAD_OPTION', `The output must end in .onnx, got "${out}"`);
  const labels = flags.labels?.split(',').map((l) => l.trim());
  if (labels?.some((l) => l === '')) throw new LucernaError('BAD_OPTION', '--labels must be names separated by commas, none empty');
  const converted = await convertLayersModelFile(modelJson, { logits: flags.logits, labels });
  await writeConvertedModel(converted, out);
  const { facts } = converted;
  return {
    model: out,
    sidecar: sidecarPath(out),
    input: { name: facts.input.name, dims: facts.input.dims, source: facts.sourceInputShape, sourceLayout: facts.sourceLayout },
    outputs: facts.outputs.map((o) => ({ name: o.name, dims: o.dims })),
    foldedBatchNorms: facts.foldedBatchNorms.length,
    message: `${modelJson} → ${out} (input "${facts.input.name}" ${formatShapeList(facts.input.dims)} NCHW, was NHWC; outputs ${facts.outputs.map((o) => `"${o.name}"`).join(', ')}; sidecar ${sidecarPath(out)})`,
  };
}

/**
 * Registers `convert` on the program.
 *
 * @example
 * ```ts
 * registerConvert(program); // lucerna convert web_model/model.json model.onnx
 * ```
 */
export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('convert a TensorFlow.js LayersModel (model.json + weight shards) to ONNX, with a sidecar')
    .argument('<model.json>', 'TF.js LayersModel JSON (its weight shards beside it)')
    .argument('<out.onnx>', 'ONNX file to write (a .lucerna.json sidecar is written beside it)')
    .option('--logits', 'drop a final softmax so the model outputs logits')
    .option('--labels <names>', 'class labels for the sidecar, separated by commas')
    .option('--json', 'print a summary as JSON')
    .action(async (modelJson: string, out: string, flags: ConvertFlags) => {
      const summary = await runConvert(modelJson, out, flags);
      process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : `${summary.message}\n`);
    });
}
