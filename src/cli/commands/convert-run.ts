/**
 * The work of `lucerna convert <model.json> <out.onnx> [--logits] [--labels a,b,c]`: converts a TensorFlow.js
 * LayersModel (model.json + weight shards) to ONNX, with a `.lucerna.json` sidecar that records
 * the preprocessing facts (the original NHWC input, the layout change) and the labels.
 */
import { extname } from 'node:path';
import { convertLayersModelFile, writeConvertedModel } from '../../convert/node.js';
import { LucernaError } from '../../errors.js';
import { sidecarPath } from '../../io/sidecar.js';
import { formatShapeList } from '../../onnx/shape-format.js';
import type { CommandContext, CommandResult } from '../command.js';

/** Flags of `lucerna convert`. */
export interface ConvertFlags {
  readonly logits?: boolean;
  readonly labels?: string;
  readonly json?: boolean;
}

/**
 * Converts one model.json to ONNX and stages the model and its sidecar.
 *
 * @example
 * ```ts
 * const summary = await runConvert(ctx, 'web_model/model.json', 'model.onnx', { logits: true });
 * ```
 */
export async function runConvert(ctx: CommandContext, modelJson: string, out: string, flags: ConvertFlags = {}): Promise<CommandResult> {
  if (extname(out).toLowerCase() !== '.onnx') throw new LucernaError('BAD_OPTION', `The output must end in .onnx, got "${out}"`);
  const labels = flags.labels?.split(',').map((l) => l.trim());
  if (labels?.some((l) => l === '')) throw new LucernaError('BAD_OPTION', '--labels must be names separated by commas, none empty');
  const converted = await convertLayersModelFile(modelJson, { logits: flags.logits, labels });
  await writeConvertedModel(converted, out, (path, data) => ctx.outputs.write(path, data));
  const { facts } = converted;
  const json = {
    model: out,
    sidecar: sidecarPath(out),
    input: { name: facts.input.name, dims: facts.input.dims, source: facts.sourceInputShape, sourceLayout: facts.sourceLayout },
    outputs: facts.outputs.map((o) => ({ name: o.name, dims: o.dims })),
    foldedBatchNorms: facts.foldedBatchNorms.length,
  };
  return {
    json,
    message: `${modelJson} → ${out} (input "${facts.input.name}" ${formatShapeList(facts.input.dims)} NCHW, was NHWC; outputs ${facts.outputs.map((o) => `"${o.name}"`).join(', ')}; sidecar ${sidecarPath(out)})`,
  };
}
