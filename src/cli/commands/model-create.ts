/**
 * `lucerna model create <arch> --classes K --input 3x64x64 --out m.onnx [--seed S]`: writes an
 * untrained small CNN (small-cnn, vgg11-bn, resnet18) with BatchNorm and PyTorch parameter names,
 * ready for `lucerna train`.
 */
import type { Command } from 'commander';
import { LucernaError } from '../../errors.js';
import { writeFileAtomic } from '../../io/write.js';
import { architectures, createModel } from '../../models/architectures.js';
import { parseShape } from '../options.js';

/** Options of `lucerna model create`. */
export interface ModelCreateOptions {
  readonly classes: string;
  readonly input: string;
  readonly out: string;
  readonly seed: string;
}

/**
 * Registers `model create` on the program.
 *
 * @example
 * ```ts
 * registerModelCreate(program); // lucerna model create resnet18 --classes 10 --input 3x64x64 --out m.onnx
 * ```
 */
export function registerModelCreate(program: Command): void {
  const model = program.commands.find((c) => c.name() === 'model') ?? program.command('model').description('create models');
  model
    .command('create')
    .description(`write an untrained CNN with BatchNorm and PyTorch parameter names (${Object.keys(architectures).join(', ')})`)
    .argument('<arch>', Object.keys(architectures).join(', '))
    .requiredOption('--classes <k>', 'number of classes')
    .requiredOption('--input <CxHxW>', 'sample shape, e.g. 1x28x28 or 3x64x64')
    .requiredOption('--out <file>', 'ONNX file to write')
    .option('--seed <n>', 'seed of the initial weights', '0')
    .action(async (arch: string, o: ModelCreateOptions) => {
      const input = parseShape(o.input, '--input');
      if (input.length !== 3) throw new LucernaError('BAD_OPTION', `--input "${o.input}" must be CxHxW, e.g. 3x64x64`);
      const classes = Number(o.classes);
      const seed = Number(o.seed);
      if (!Number.isInteger(seed)) throw new LucernaError('BAD_OPTION', `--seed "${o.seed}" is not an integer`);
      await writeFileAtomic(o.out, createModel(arch, { classes, input: input as [number, number, number], seed }));
      process.stdout.write(`wrote ${o.out}\n`);
    });
}
