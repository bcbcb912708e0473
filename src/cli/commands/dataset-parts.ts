/**
 * `lucerna dataset parts --out <dir> --n 2000 --seed S [--size 64] [--classes 5] [--bias rule]…`:
 * writes the procedural part-annotated data set (Broden layout plus `landmarks.csv`,
 * `attributes.csv`, an ImageFolder view and a README). The writer fills a staging folder and renames
 * it into place only when every image is written, so a failed or cancelled run leaves nothing.
 */
import { type CommandContext, type CommandResult, defineCommand } from '../command.js';
import * as flags from '../flags.js';
import { MAX_IMAGES, parseInteger, parseNumber } from '../parse.js';

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

/**
 * Runs the command and returns what it prints.
 *
 * @example
 * ```ts
 * const { json } = await runDatasetParts(ctx, { out: 'data/parts', n: '2000', seed: '1' });
 * ```
 */
export async function runDatasetParts(ctx: CommandContext, f: DatasetPartsFlags): Promise<CommandResult> {
  const n = parseInteger(f.n, '--n', 1, MAX_IMAGES) as number;
  const seed = parseInteger(f.seed, '--seed', 0) as number;
  const size = parseInteger(f.size, '--size', 16);
  const classes = parseInteger(f.classes, '--classes', 1);
  const valFraction = parseNumber(f.valFraction, '--val-fraction', 0);
  const [{ writePartsDataset }, { progressBar }] = await Promise.all([import('../../datasets/node/parts-writer.js'), import('../progress.js')]);
  const t0 = performance.now();
  const progress = progressBar('dataset parts', !f.json && ctx.io.isTTY);
  const command = [
    'lucerna dataset parts',
    `--out ${f.out}`,
    `--n ${n}`,
    `--seed ${seed}`,
    size && `--size ${size}`,
    classes && `--classes ${classes}`,
    ...(f.bias ?? []).map((b) => `--bias ${b}`),
  ]
    .filter(Boolean)
    .join(' ');
  const result = await writePartsDataset(f.out, {
    n,
    seed,
    size,
    classes,
    valFraction,
    bias: f.bias,
    command,
    signal: ctx.signal,
    onStaging: (folder) => ctx.outputs.stagingFolder(folder),
    onProgress: progress.onProgress,
  }).finally(() => progress.stop());
  const seconds = (performance.now() - t0) / 1000;
  return {
    json: { out: result.out, images: result.images, classes: result.classes, labels: result.labels, seconds: Math.round(seconds * 10) / 10 },
    message: `dataset parts: ${result.images} images, classes ${result.classes.join(', ')} → ${f.out} (${seconds.toFixed(1)} s)`,
  };
}

/**
 * `lucerna dataset parts`: the part-annotated figures data set.
 *
 * @example
 * ```sh
 * lucerna dataset parts --out data/parts --n 2000 --seed 1
 * ```
 */
export const datasetPartsCommand = defineCommand<DatasetPartsFlags>({
  name: 'dataset parts',
  description: 'draw animal-like figures with object and part masks and landmarks (Broden layout, plus landmarks.csv and classes/<name>/)',
  output: { kind: 'folder' },
  options: [
    flags.out('<dir>', 'output folder (must not exist or be empty)', true),
    { flags: '--n <count>', description: 'number of images', required: true },
    { flags: '--seed <s>', description: 'random seed (image i depends only on seed and i)', required: true },
    { flags: '--size <px>', description: 'image side in pixels (default 64)' },
    { flags: '--classes <k>', description: 'object classes, 1…5 (default 5), plus none' },
    { flags: '--val-fraction <f>', description: 'fraction of images in the val split (default 0.2)' },
    {
      flags: '--bias <rule...>',
      description: 'plant a correlation in the train split, e.g. bird:background=stripes@0.95 or bird:head_colour=red@0.9 (repeatable)',
    },
    flags.json('print a JSON summary'),
  ],
  run: (ctx, _args, f) => runDatasetParts(ctx, f),
});
