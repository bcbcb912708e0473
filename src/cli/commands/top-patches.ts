/**
 * `lucerna top-patches <model> --images <dir> --layer <name> [--channels …] [--k 9] --out <dir>`:
 * streams a folder of images through the model, keeps the k images that excite each channel most,
 * and writes per channel a montage of the receptive-field crops (`channel-<c>.png`) plus
 * `index.json` (images, scores, unit positions and crop boxes). Unreadable images are skipped with
 * a warning and counted.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { encodeRgbPng } from '../../io/image.js';
import { writeFileAtomic } from '../../io/write.js';
import { topPatches } from '../../visualization/top-patches.js';
import { progressBar, withInterrupt } from '../progress.js';
import { parseInteger } from './attribute-options.js';
import { imageFolder, loadModelWithPixels, parseIntegerList } from './visualization-io.js';

/** Flags of `lucerna top-patches`. */
export interface TopPatchesFlags {
  readonly images: string;
  readonly layer: string;
  readonly channels?: string;
  readonly k?: string;
  readonly batchSize?: string;
  readonly out: string;
  readonly json?: boolean;
}

/**
 * Registers `top-patches` on the program.
 *
 * @example
 * ```ts
 * registerTopPatches(program); // lucerna top-patches model.onnx --images photos/ --layer conv3 --out patches/
 * ```
 */
export function registerTopPatches(program: Command): void {
  program
    .command('top-patches')
    .description('find the image patches (receptive-field crops) that excite each channel of a layer most, over a folder of images')
    .argument('<model>', 'ONNX model file')
    .requiredOption('--images <dir>', 'folder of images (PNG, JPEG, WebP…), read one at a time')
    .requiredOption('--layer <name>', 'layer (4-D activation tensor or node name)')
    .option('--channels <c,...>', 'channels to rank (default all)')
    .option('--k <n>', 'patches per channel (default 9)')
    .option('--batch-size <n>', 'images per engine call (default 8)')
    .requiredOption('--out <dir>', 'output folder for the montages and index.json')
    .option('--json', 'print a JSON summary')
    .action(async (modelPath: string, flags: TopPatchesFlags) => {
      const summary = await runTopPatches(modelPath, flags);
      process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : `${summary.message}\n`);
    });
}

/**
 * Runs the command and returns its summary.
 *
 * @example
 * ```ts
 * const s = await runTopPatches('model.onnx', { images: 'photos', layer: 'relu1', out: 'patches' });
 * ```
 */
export async function runTopPatches(modelPath: string, flags: TopPatchesFlags) {
  const channels = flags.channels === undefined ? undefined : parseIntegerList(flags.channels, '--channels');
  const k = parseInteger(flags.k, '--k', 1) ?? 9;
  const batchSize = parseInteger(flags.batchSize, '--batch-size', 1) ?? 8;
  const t0 = performance.now();
  const loaded = await loadModelWithPixels(modelPath);
  await using model = loaded.model;
  const sources = await imageFolder(flags.images, loaded.preprocessing, model.input.dims);
  const progress = progressBar('top-patches', !flags.json);
  const result = await withInterrupt(async (signal) => {
    const ranked = await topPatches(model, sources, {
      layer: flags.layer,
      channels,
      k,
      batchSize,
      signal,
      onProgress: (done) => progress.onProgress?.(done, sources.length),
      onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
    });
    progress.stop();
    const montages: string[] = [];
    await ranked.renderMontages(
      async (channel, image) => {
        const path = join(flags.out, `channel-${channel}.png`);
        await writeFileAtomic(path, await encodeRgbPng(image.rgb, image.width, image.height));
        montages.push(path);
      },
      { signal },
    );
    return { ranked, montages };
  }).finally(() => progress.stop());
  const { ranked, montages } = result;
  const index = {
    model: modelPath,
    layer: ranked.layer,
    receptiveField: ranked.receptiveField,
    images: ranked.images,
    skipped: ranked.skipped,
    k,
    channels: ranked.channels.map((c) => ({ ...c, montage: `channel-${c.channel}.png` })),
  };
  const indexPath = join(flags.out, 'index.json');
  await writeFileAtomic(indexPath, `${JSON.stringify(index, null, 2)}\n`);
  const seconds = (performance.now() - t0) / 1000;
  const skipped = ranked.skipped.length ? ` (${ranked.skipped.length} skipped)` : '';
  return {
    model: modelPath,
    layer: ranked.layer,
    images: ranked.images,
    skipped: ranked.skipped,
    channels: ranked.channels.length,
    receptiveField: ranked.receptiveField,
    outputs: [indexPath, ...montages],
    seconds: Math.round(seconds * 10) / 10,
    message: `top-patches: ${ranked.layer}: ${ranked.images} images${skipped}, ${montages.length} montages → ${flags.out} (${seconds.toFixed(1)} s)`,
  };
}
