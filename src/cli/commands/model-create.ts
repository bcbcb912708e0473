/**
 * `lucerna model create <arch> --classes K --input 3x64x64 --out m.onnx [--seed S] [--width F]`: writes an
 * untrained small CNN (small-cnn, vgg11-bn, resnet18) with BatchNorm and PyTorch parameter names,
 * ready for `lucerna train`.
 */
import { LucernaError } from '../../errors.js';
import { architectures, createModel } from '../../models/architectures.js';
import { type CommandContext, type CommandResult, defineCommand } from '../command.js';
import * as flags from '../flags.js';
import { parseInteger, parseNumber, parseShape } from '../parse.js';

/** Options of `lucerna model create`. */
export interface ModelCreateOptions {
  readonly classes: string;
  readonly input: string;
  readonly out: string;
  readonly seed?: string;
  readonly width?: string;
  readonly json?: boolean;
}

/**
 * Writes the untrained model.
 *
 * @example
 * ```ts
 * await runModelCreate(ctx, 'resnet18', { classes: '10', input: '3x64x64', out: 'm.onnx' });
 * ```
 */
export async function runModelCreate(ctx: CommandContext, arch: string, o: ModelCreateOptions): Promise<CommandResult> {
  const input = parseShape(o.input, '--input');
  if (input.length !== 3) throw new LucernaError('BAD_OPTION', `--input "${o.input}" must be CxHxW, e.g. 3x64x64`);
  const classes = parseInteger(o.classes, '--classes', 1) as number;
  const seed = parseInteger(o.seed, '--seed', 0) ?? 0;
  const width = parseNumber(o.width, '--width');
  await ctx.outputs.write(o.out, createModel(arch, { classes, input: input as [number, number, number], seed, width }));
  return { json: { arch, classes, input, seed, ...(width === undefined ? {} : { width }), out: o.out }, message: `wrote ${o.out}` };
}

/**
 * `lucerna model create`: an untrained CNN to train.
 *
 * @example
 * ```sh
 * lucerna model create resnet18 --classes 10 --input 3x64x64 --out m.onnx
 * ```
 */
export const modelCreateCommand = defineCommand<ModelCreateOptions>({
  name: 'model create',
  description: `write an untrained CNN with BatchNorm and PyTorch parameter names (${Object.keys(architectures).join(', ')})`,
  arguments: [{ name: '<arch>', description: Object.keys(architectures).join(', ') }],
  output: { kind: 'file', extensions: ['.onnx'] },
  options: [
    { flags: '--classes <k>', description: 'number of classes', required: true },
    { flags: '--input <CxHxW>', description: 'sample shape, e.g. 1x28x28 or 3x64x64', required: true },
    flags.out('<file>', 'ONNX file to write', true),
    { flags: '--seed <n>', description: 'seed of the initial weights (default 0)' },
    { flags: '--width <f>', description: 'channel multiplier of every architecture (default 1; e.g. 0.125 for a tiny vgg11-bn or resnet18)' },
    flags.json(),
  ],
  run: (ctx, [arch], f) => runModelCreate(ctx, arch as string, f),
});
