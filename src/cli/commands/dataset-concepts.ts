/**
 * `lucerna dataset concepts --out <dir> [--n 500] [--seed 1] [--size 224]`: writes a procedural
 * Broden-format concept set (colours, shapes as objects, their parts, textures as image-level
 * labels; see `datasets/concepts/generate.ts`) that `lucerna dissect --dataset` reads.
 */
import { readdir, rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LucernaError } from '../../errors.js';
import { temporaryBeside } from '../../io/write.js';
import { type CommandContext, type CommandResult, defineCommand } from '../command.js';
import * as flags from '../flags.js';
import { MAX_IMAGES, parseInteger } from '../parse.js';

/** Refuses an existing folder that holds anything (the data set would be mixed into it). */
async function checkEmpty(out: string): Promise<void> {
  const entries = await readdir(out).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    throw new LucernaError('BAD_FILE', `Cannot read ${out} (${e.code ?? e.message})`);
  });
  if (entries.length > 0) throw new LucernaError('BAD_OPTION', `The folder ${out} already exists and is not empty`, 'Choose a new folder or remove it first');
}

/** Flags of `lucerna dataset concepts`. */
export interface ConceptsFlags {
  readonly out: string;
  readonly n?: string;
  readonly seed?: string;
  readonly size?: string;
  readonly json?: boolean;
}

/**
 * Writes the concept set and returns its summary: images, and the fewest images any label is in.
 *
 * @example
 * ```ts
 * const { json } = await runConcepts(ctx, { out: 'concepts', n: '500', seed: '1' });
 * ```
 */
export async function runConcepts(ctx: CommandContext, f: ConceptsFlags): Promise<CommandResult> {
  const n = parseInteger(f.n, '--n', 1, MAX_IMAGES) ?? 500;
  const seed = parseInteger(f.seed, '--seed', 0) ?? 1;
  const size = parseInteger(f.size, '--size', 32) ?? 224;
  const [{ BrodenWriter }, { CONCEPT_SPEC, generateConcepts }, { progressBar }] = await Promise.all([
    import('../../datasets/broden/node.js'),
    import('../../datasets/concepts/generate.js'),
    import('../progress.js'),
  ]);
  const images = generateConcepts({ n, seed, size });
  // Written into a hidden sibling folder and renamed into place at the end, as `dataset parts`
  // does: a failed or cancelled run leaves nothing, and an existing data set is never mixed into.
  const target = resolve(f.out);
  await checkEmpty(target);
  const tmp = temporaryBeside(target);
  ctx.outputs.stagingFolder(tmp);
  const progress = progressBar('concepts', !f.json && ctx.io.isTTY);
  const t0 = performance.now();
  await using writer = await BrodenWriter.create(tmp, CONCEPT_SPEC);
  try {
    let done = 0;
    for (const img of images) {
      if (ctx.signal.aborted) throw new LucernaError('ABORTED', 'Cancelled');
      await writer.add({
        name: img.name,
        image: { rgb: img.rgb, width: img.size, height: img.size },
        sh: img.seg,
        sw: img.seg,
        labels: { color: [img.color], object: [img.object], part: img.part.filter((p) => p.some((v) => v !== 0)), texture: [img.texture] },
      });
      progress.onProgress?.(++done, n);
    }
    await writer.close();
    await rm(target, { recursive: true, force: true }); // empty (checked above)
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (!(e instanceof LucernaError && e.code === 'BAD_FILE')) throw e;
    // The writer names the hidden folder; say the target instead.
    throw new LucernaError(
      'BAD_FILE',
      `Cannot write the data set to ${f.out} (${/\(([^()]*)\)$/.exec(e.message)?.[1] ?? e.message})`,
      'Choose a folder you can write to',
    );
  } finally {
    progress.stop();
  }
  const frequency = CONCEPT_SPEC.labels.map((l) => {
    const cats = typeof l.category === 'string' ? [l.category] : l.category;
    return { label: l.name, images: cats.reduce((a, c) => a + (writer.builder.statistics(c).get(writer.number(l.name))?.frequency ?? 0), 0) };
  });
  const fewest = frequency.reduce((m, x) => (x.images < m.images ? x : m));
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  return {
    json: { out: f.out, images: n, seed, size, labels: frequency.length, fewestImagesPerLabel: fewest, seconds },
    message: `dataset concepts: ${n} images, ${frequency.length} labels (each in ≥ ${fewest.images} images; fewest: ${fewest.label}) → ${f.out} (${seconds} s)`,
  };
}

/**
 * `lucerna dataset concepts`: the procedural concept set for `lucerna dissect`.
 *
 * @example
 * ```sh
 * lucerna dataset concepts --out concepts --n 500 --seed 1
 * ```
 */
export const datasetConceptsCommand = defineCommand<ConceptsFlags>({
  name: 'dataset concepts',
  description: 'procedural concept set: colours, shapes (objects), their parts, textures (image-level), half-size segmentations',
  output: { kind: 'folder' },
  options: [
    flags.out('<dir>', 'output folder', true),
    { flags: '--n <count>', description: 'number of images (default 500)' },
    flags.seed(1),
    { flags: '--size <px>', description: 'image side, even (default 224); segmentations are half size' },
    flags.json('print a JSON summary'),
  ],
  run: (ctx, _args, f) => runConcepts(ctx, f),
});
