/**
 * `lucerna dataset parts --out <dir> --n 2000 --seed S [--size 64] [--classes 5] [--bias rule]…`:
 * writes the procedural part-annotated data set (Broden layout plus `landmarks.csv`,
 * `attributes.csv`, an ImageFolder view and a README), atomically.
 */
import type { Command } from 'commander';
import { writePartsDataset } from '../../datasets/node/parts-writer.js';
import { progressBar, withInterrupt } from '../progress.js';
import { parseInteger, parseNumber } from './attribute-options.js';

/** Flags of `lucerna dataset parts`. */
export interface DatasetPartsFlags {
  readonly out: string;
  readonly n: string;
  readonly seed: string;
  readonly size?: string;
  readonly classes?: string;
  readonly valFraction?: string;
  readonly bias?: readonly string[];
  readonly json?: boolean;
}

function datasetCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'dataset') ?? program.command('dataset').description('generate data sets');
}

/**
 * Registers `dataset parts` on the program (creating the `dataset` group if needed).
 *
 * @example
 * ```ts
 * registerDatasetParts(program); // lucerna dataset parts --out data/parts --n 2000 --seed 1
 * ```
 */
export function registerDatasetParts(program: Command): void {
  datasetCommand(program)
    .command('parts')
    .description('draw animal-like figures with object and part masks and landmarks (Broden layout, plus landmarks.csv and classes/<name>/)')
    .requiredOption('--out <dir>', 'output folder (must not exist or be empty)')
    .requiredOption('--n <count>', 'number of images')
    .requiredOption('--seed <s>', 'random seed (image i depends only on seed and i)')
    .option('--size <px>', 'image side in pixels (default 64)')
    .option('--classes <k>', 'object classes, 1…5 (default 5), plus none')
    .option('--val-fraction <f>', 'fraction of images in the val split (default 0.2)')
    .option(
      '--bias <rule>',
      'plant a correlation in the train split, e.g. bird:background=stripes@0.95 or bird:head_colour=red@0.9 (repeatable)',
      (v: string, acc: string[] = []) => [...acc, v],
    )
    .option('--json', 'print a JSON summary')
    .action(async (flags: DatasetPartsFlags) => {
      const summary = await runDatasetParts(flags);
      process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : `${summary.message}\n`);
    });
}

/**
 * Runs the command and returns its summary.
 *
 * @example
 * ```ts
 * const s = await runDatasetParts({ out: 'data/parts', n: '2000', seed: '1' });
 * ```
 */
export async function runDatasetParts(flags: DatasetPartsFlags) {
  const n = parseInteger(flags.n, '--n', 1) as number;
  const seed = parseInteger(flags.seed, '--seed', 0) as number;
  const size = parseInteger(flags.size, '--size', 16);
  const classes = parseInteger(flags.classes, '--classes', 1);
  const valFraction = parseNumber(flags.valFraction, '--val-fraction', 0);
  const t0 = performance.now();
  const progress = progressBar('dataset parts', !flags.json);
  const command = [
    'lucerna dataset parts',
    `--out ${flags.out}`,
    `--n ${n}`,
    `--seed ${seed}`,
    size && `--size ${size}`,
    classes && `--classes ${classes}`,
    ...(flags.bias ?? []).map((b) => `--bias ${b}`),
  ]
    .filter(Boolean)
    .join(' ');
  const result = await withInterrupt((signal) =>
    writePartsDataset(flags.out, { n, seed, size, classes, valFraction, bias: flags.bias, command, signal, onProgress: progress.onProgress }),
  ).finally(() => progress.stop());
  const seconds = (performance.now() - t0) / 1000;
  return {
    out: result.out,
    images: result.images,
    classes: result.classes,
    labels: result.labels,
    seconds: Math.round(seconds * 10) / 10,
    message: `dataset parts: ${result.images} images, classes ${result.classes.join(', ')} → ${flags.out} (${seconds.toFixed(1)} s)`,
  };
}
