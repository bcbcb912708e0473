/**
 * The work of `lucerna invert [MODEL] --input <image> --layer <name> --out <file.png>`: network inversion
 * (Mahendran & Vedaldi 2015). Writes the reconstruction and its loss curve beside it
 * (`<out>.loss.json`, `<out>.loss.svg`).
 */
import { LucernaError } from '../../errors.js';
import { encodeRgbPng, loadImageTensor } from '../../io/image.js';
import { hwcToChw } from '../../io/preprocess.js';
import { invert, psnr } from '../../visualization/inversion.js';
import { planarToRgb } from '../../visualization/montage.js';
import type { CommandContext, CommandResult } from '../command.js';
import { openModel, pixelSettings } from '../model.js';
import { parseInteger, parseNumber } from '../parse.js';
import { progressBar } from '../progress.js';
import { writeCurve } from './visualization-io.js';

/** Flags of `lucerna invert`. */
export interface InvertFlags {
  readonly input: string;
  readonly layer: string;
  readonly out: string;
  readonly steps?: string;
  readonly lr?: string;
  readonly tvWeight?: string;
  readonly seed?: string;
  readonly json?: boolean;
}

/**
 * Runs the command and returns its summary.
 *
 * @example
 * ```ts
 * const s = await runInvert(ctx, 'model.onnx', { input: 'cat.png', layer: 'relu1', out: 'inv.png' });
 * ```
 */
export async function runInvert(ctx: CommandContext, modelPath: string | undefined, flags: InvertFlags): Promise<CommandResult> {
  if (!flags.out.toLowerCase().endsWith('.png')) throw new LucernaError('BAD_OPTION', `--out must end in .png, got "${flags.out}"`);
  const steps = parseInteger(flags.steps, '--steps', 1) ?? 400;
  const learningRate = parseNumber(flags.lr, '--lr', Number.MIN_VALUE);
  const tvWeight = parseNumber(flags.tvWeight, '--tv-weight', 0);
  const seed = parseInteger(flags.seed, '--seed', 0) ?? 0;
  const t0 = performance.now();
  await using opened = await openModel(modelPath);
  const { model } = opened;
  const loaded = pixelSettings(opened, 'lucerna invert');
  const { tensor, image } = await loadImageTensor(flags.input, { ...loaded.preprocessing, inputDims: model.input.dims });
  const reference = { data: hwcToChw(image.rgb, image.height, image.width, 3).map((v) => v / 255), shape: [1, 3, image.height, image.width] };
  const progress = progressBar('invert', !flags.json && ctx.io.isTTY);
  const signal = ctx.signal;
  const result = await invert(model, tensor, flags.layer, {
    steps,
    learningRate,
    tvWeight,
    seed,
    pixels: loaded.pixels,
    reference,
    signal,
    onStep: (s) => progress.onProgress?.(s, steps),
  }).finally(() => progress.stop());
  const rgb = planarToRgb(result.image, 0);
  await ctx.outputs.write(flags.out, await encodeRgbPng(rgb.rgb, rgb.width, rgb.height));
  const stem = flags.out.replace(/\.png$/i, '.loss');
  const curves = await writeCurve(ctx.outputs, stem, result.loss, 'loss', {
    layer: result.layer,
    tvWeight: result.tvWeight,
    codeDistance: result.codeDistance,
  });
  const quality = psnr(result.image.data, reference.data);
  const seconds = (performance.now() - t0) / 1000;
  const finalDistance = result.codeDistance[result.codeDistance.length - 1] as number;
  const json = {
    model: opened.given,
    input: flags.input,
    layer: result.layer,
    steps,
    tvWeight: result.tvWeight,
    finalLoss: result.loss[result.loss.length - 1],
    finalCodeDistance: finalDistance,
    psnr: Math.round(quality * 100) / 100,
    outputs: [flags.out, ...curves],
    seconds: Math.round(seconds * 10) / 10,
  };
  return {
    json,
    message: `invert: ${result.layer}: code distance ${finalDistance.toPrecision(3)}, PSNR ${quality.toFixed(1)} dB → ${flags.out} (${seconds.toFixed(1)} s)`,
  };
}
