/**
 * `lucerna dataset concepts --out <dir> [--n 500] [--seed 1] [--size 224]`: writes a procedural
 * Broden-format concept set (colours, shapes as objects, their parts, textures as image-level
 * labels; see `datasets/concepts/generate.ts`) that `lucerna dissect --dataset` reads.
 */
import type { Command } from 'commander';
import { BrodenWriter } from '../../datasets/broden/node.js';
import { CONCEPT_SPEC, generateConcepts } from '../../datasets/concepts/generate.js';
import { LucernaError } from '../../errors.js';
import { progressBar, withInterrupt } from '../progress.js';

/** Flags of `lucerna dataset concepts`. */
export interface ConceptsFlags {
  readonly out?: string;
  readonly n?: string;
  readonly seed?: string;
  readonly size?: string;
  readonly json?: boolean;
}

function integer(text: string | undefined, flag: string, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (text.trim() === '' || !Number.isInteger(v) || v < min) throw new LucernaError('BAD_OPTION', `${flag} must be an integer ≥ ${min}, got "${text}"`);
  return v;
}

/**
 * Writes the concept set and returns its summary: images, and the fewest images any label is in.
 *
 * @example
 * ```ts
 * await runConcepts({ out: 'concepts', n: '500', seed: '1' });
 * ```
 */
export async function runConcepts(flags: ConceptsFlags) {
  if (!flags.out) throw new LucernaError('BAD_OPTION', '--out is required', 'Pass --out <dir>');
  const n = integer(flags.n, '--n', 500, 1);
  const seed = integer(flags.seed, '--seed', 1, 0);
  const size = integer(flags.size, '--size', 224, 32);
  const images = generateConcepts({ n, seed, size });
  const progress = progressBar('concepts', !flags.json);
  const t0 = performance.now();
  await using writer = await BrodenWriter.create(flags.out, CONCEPT_SPEC);
  await withInterrupt(async (signal) => {
    let done = 0;
    for (const img of images) {
      if (signal.aborted) throw new LucernaError('ABORTED', 'Cancelled');
      await writer.add({
        name: img.name,
        image: { rgb: img.rgb, width: img.size, height: img.size },
        sh: img.seg,
        sw: img.seg,
        labels: { color: [img.color], object: [img.object], part: img.part.filter((p) => p.some((v) => v !== 0)), texture: [img.texture] },
      });
      progress.onProgress?.(++done, n);
    }
  }).finally(() => progress.stop());
  await writer.close();
  const frequency = CONCEPT_SPEC.labels.map((l) => {
    const cats = typeof l.category === 'string' ? [l.category] : l.category;
    return { label: l.name, images: cats.reduce((a, c) => a + (writer.builder.statistics(c).get(writer.number(l.name))?.frequency ?? 0), 0) };
  });
  const fewest = frequency.reduce((m, f) => (f.images < m.images ? f : m));
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  return {
    out: flags.out,
    images: n,
    seed,
    size,
    labels: frequency.length,
    fewestImagesPerLabel: fewest,
    seconds,
    message: `dataset concepts: ${n} images, ${frequency.length} labels (each in ≥ ${fewest.images} images; fewest: ${fewest.label}) → ${flags.out} (${seconds} s)`,
  };
}

/**
 * Registers `dataset` (with its `concepts` subcommand) on the program.
 *
 * @example
 * ```ts
 * registerDataset(program); // lucerna dataset concepts --out concepts --n 500 --seed 1
 * ```
 */
export function registerDataset(program: Command): void {
  const dataset = program.command('dataset').description('write concept data sets in Broden format');
  dataset
    .command('concepts')
    .description('procedural concept set: colours, shapes (objects), their parts, textures (image-level), half-size segmentations')
    .option('--out <dir>', 'output folder')
    .option('--n <count>', 'number of images (default 500)')
    .option('--seed <s>', 'random seed (default 1)')
    .option('--size <px>', 'image side, even (default 224); segmentations are half size')
    .option('--json', 'print a JSON summary')
    .action(async (flags: ConceptsFlags) => {
      const { message, ...rest } = await runConcepts(flags);
      process.stdout.write(flags.json ? `${JSON.stringify(rest, null, 2)}\n` : `${message}\n`);
    });
}
