/**
 * The work of `lucerna top-patches [MODEL] --input <dir> --layer <name> [--channels …] [--k 9] --out <dir>`:
 * streams a folder of images through the model, keeps the k images that excite each channel most,
 * and writes per channel a montage of the receptive-field crops (`channel-<c>.png`) plus
 * `index.json` (images, scores, unit positions and crop boxes). Unreadable images are skipped with
 * a warning and counted.
 */
import { join } from 'node:path';
import { encodeRgbPng } from '../../io/image.js';
import { topPatches } from '../../visualization/top-patches.js';
import type { CommandContext, CommandResult } from '../command.js';
import { openModel, pixelSettings } from '../model.js';
import { parseIndexList, parseInteger } from '../parse.js';
import { progressBar } from '../progress.js';
import { imageFolder } from './visualization-io.js';

/** Flags of `lucerna top-patches`. */
export interface TopPatchesFlags {
  readonly input: string;
  readonly layer: string;
  readonly channels?: string;
  readonly k?: string;
  readonly batchSize?: string;
  readonly out: string;
  readonly json?: boolean;
}

/**
 * Runs the command and returns its summary.
 *
 * @example
 * ```ts
 * const s = await runTopPatches(ctx, 'model.onnx', { input: 'photos', layer: 'relu1', out: 'patches' });
 * ```
 */
export async function runTopPatches(ctx: CommandContext, modelPath: string | undefined, flags: TopPatchesFlags): Promise<CommandResult> {
  const channels = flags.channels === undefined ? undefined : parseIndexList(flags.channels, '--channels');
  const k = parseInteger(flags.k, '--k', 1) ?? 9;
  const batchSize = parseInteger(flags.batchSize, '--batch-size', 1) ?? 8;
  const t0 = performance.now();
  await using opened = await openModel(modelPath);
  const { model } = opened;
  const loaded = pixelSettings(opened, 'lucerna top-patches');
  const sources = await imageFolder(flags.input, loaded.preprocessing, model.input.dims);
  const progress = progressBar('top-patches', !flags.json && ctx.io.isTTY);
  const signal = ctx.signal;
  const result = await (async () => {
    const ranked = await topPatches(model, sources, {
      layer: flags.layer,
      channels,
      k,
      batchSize,
      signal,
      onProgress: (done) => progress.onProgress?.(done, sources.length),
      onWarning: (message) => ctx.warn(message),
    });
    progress.stop();
    const montages: string[] = [];
    await ranked.renderMontages(
      async (channel, image) => {
        const path = join(flags.out, `channel-${channel}.png`);
        await ctx.outputs.write(path, await encodeRgbPng(image.rgb, image.width, image.height));
        montages.push(path);
      },
      { signal },
    );
    return { ranked, montages };
  })().finally(() => progress.stop());
  const { ranked, montages } = result;
  const index = {
    model: opened.given,
    layer: ranked.layer,
    receptiveField: ranked.receptiveField,
    images: ranked.images,
    skipped: ranked.skipped,
    k,
    channels: ranked.channels.map((c) => ({ ...c, montage: `channel-${c.channel}.png` })),
  };
  const indexPath = join(flags.out, 'index.json');
  await ctx.outputs.write(indexPath, `${JSON.stringify(index, null, 2)}\n`);
  const seconds = (performance.now() - t0) / 1000;
  const skipped = ranked.skipped.length ? ` (${ranked.skipped.length} skipped)` : '';
  const json = {
    model: opened.given,
    layer: ranked.layer,
    images: ranked.images,
    skipped: ranked.skipped,
    channels: ranked.channels.length,
    receptiveField: ranked.receptiveField,
    outputs: [indexPath, ...montages],
    seconds: Math.round(seconds * 10) / 10,
  };
  return {
    json,
    message: `top-patches: ${ranked.layer}: ${ranked.images} images${skipped}, ${montages.length} montages → ${flags.out} (${seconds.toFixed(1)} s)`,
  };
}
