/**
 * `lucerna invert <model> --image <file> --layer <name> --out <file.png>`: network inversion
 * (Mahendran & Vedaldi 2015). Writes the reconstruction and its loss curve beside it
 * (`<out>.loss.json`, `<out>.loss.svg`).
 */
import type { Command } from 'commander';
import { LucernaError } from '../../errors.js';
import { encodeRgbPng, loadImageTensor } from '../../io/image.js';
import { hwcToChw } from '../../io/preprocess.js';
import { writeFileAtomic } from '../../io/write.js';
import { invert, psnr } from '../../visualization/inversion.js';
import { planarToRgb } from '../../visualization/montage.js';
import { progressBar, withInterrupt } from '../progress.js';
import { parseInteger, parseNumber } from './attribute-options.js';
import { loadModelWithPixels, writeCurve } from './visualization-io.js';

/** Flags of `lucerna invert`. */
export interface InvertFlags {
  readonly image: string;
  readonly layer: string;
  readonly out: string;
  readonly steps?: string;
  readonly lr?: string;
  readonly tvWeight?: string;
  readonly seed?: string;
  readonly json?: boolean;
}

/**
 * Registers `invert` on the program.
 *
 * @example
 * ```ts
 * registerInvert(program); // lucerna invert model.onnx --image cat.jpg --layer conv2 --out inv.png
 * ```
 */
export function registerInvert(program: Command): void {
  program
    .command('invert')
    .description("reconstruct an image from its code at a layer (Mahendran & Vedaldi 2015, the paper's defaults)")
    .argument('<model>', 'ONNX model file')
    .requiredOption('--image <file>', 'the image whose code is inverted (PNG, JPEG, WebP)')
    .requiredOption('--layer <name>', 'layer (activation tensor or node name)')
    .requiredOption('--out <file.png>', 'the reconstruction; the loss curve goes beside it')
    .option('--steps <n>', 'optimisation steps (default 400)')
    .option('--lr <x>', "Adam's first step, in 0…255 pixel levels (default 4)")
    .option('--tv-weight <x>', 'λV of the total variation (default 1, 10 or 100 by the layer depth)')
    .option('--seed <n>', 'random seed (default 0)')
    .option('--json', 'print a JSON summary')
    .action(async (modelPath: string, flags: InvertFlags) => {
      const summary = await runInvert(modelPath, flags);
      process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : `${summary.message}\n`);
    });
}

/**
 * Runs the command and returns its summary.
 *
 * @example
 * ```ts
 * const s = await runInvert('model.onnx', { image: 'cat.png', layer: 'relu1', out: 'inv.png' });
 * ```
 */
export async function runInvert(modelPath: string, flags: InvertFlags) {
  if (!flags.out.toLowerCase().endsWith('.png')) throw new LucernaError('BAD_OPTION', `--out must end in .png, got "${flags.out}"`);
  const steps = parseInteger(flags.steps, '--steps', 1) ?? 400;
  const learningRate = parseNumber(flags.lr, '--lr', Number.MIN_VALUE);
  const tvWeight = parseNumber(flags.tvWeight, '--tv-weight', 0);
  const seed = parseInteger(flags.seed, '--seed', 0) ?? 0;
  const t0 = performance.now();
  const loaded = await loadModelWithPixels(modelPath);
  await using model = loaded.model;
  const { tensor, image } = await loadImageTensor(flags.image, { ...loaded.preprocessing, inputDims: model.input.dims });
  const reference = { data: hwcToChw(image.rgb, image.height, image.width, 3).map((v) => v / 255), shape: [1, 3, image.height, image.width] };
  const progress = progressBar('invert', !flags.json);
  const result = await withInterrupt((signal) =>
    invert(model, tensor, flags.layer, {
      steps,
      learningRate,
      tvWeight,
      seed,
      pixels: loaded.pixels,
      reference,
      signal,
      onStep: (s) => progress.onProgress?.(s, steps),
    }),
  ).finally(() => progress.stop());
  const rgb = planarToRgb(result.image, 0);
  await writeFileAtomic(flags.out, await encodeRgbPng(rgb.rgb, rgb.width, rgb.height));
  const stem = flags.out.replace(/\.png$/i, '.loss');
  const curves = await writeCurve(stem, result.loss, 'loss', { layer: result.layer, tvWeight: result.tvWeight, codeDistance: result.codeDistance });
  const quality = psnr(result.image.data, reference.data);
  const seconds = (performance.now() - t0) / 1000;
  const finalDistance = result.codeDistance[result.codeDistance.length - 1] as number;
  return {
    model: modelPath,
    image: flags.image,
    layer: result.layer,
    steps,
    tvWeight: result.tvWeight,
    finalLoss: result.loss[result.loss.length - 1],
    finalCodeDistance: finalDistance,
    psnr: Math.round(quality * 100) / 100,
    outputs: [flags.out, ...curves],
    seconds: Math.round(seconds * 10) / 10,
    message: `invert: ${result.layer}: code distance ${finalDistance.toPrecision(3)}, PSNR ${quality.toFixed(1)} dB → ${flags.out} (${seconds.toFixed(1)} s)`,
  };
}
