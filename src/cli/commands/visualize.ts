/**
 * `lucerna visualize <model> --layer <name> --channel <c>[,<c>…] [--objective <expr>] [--steps 512]
 * [--size 224] [--param fourier|pixel] [--seed n] --out <dir>`: activation maximisation. Writes one
 * PNG per optimised image and the objective curve (curve.json, curve.svg).
 *
 * Several channels are optimised together, one image each. `--objective` takes any expression of
 * the objective algebra instead (e.g. `"conv3:12 - 100 * diversity(conv3)"` with `--batch 2`).
 * With `--layer` alone the objective is the layer's mean square (DeepDream).
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { LucernaError } from '../../errors.js';
import { encodeRgbPng } from '../../io/image.js';
import { writeFileAtomic } from '../../io/write.js';
import { visualize } from '../../visualization/activation-maximization.js';
import { parseMemorySize } from '../../visualization/memory.js';
import { planarToRgb } from '../../visualization/montage.js';
import { parseObjective } from '../../visualization/objective-parser.js';
import { channel, diversity, layer, type Objective, sum } from '../../visualization/objectives.js';
import { progressBar, withInterrupt } from '../progress.js';
import { parseInteger, parseNumber } from './attribute-options.js';
import { loadModelWithPixels, parseIntegerList, writeCurve } from './visualization-io.js';

/** Flags of `lucerna visualize`, as commander passes them. */
export interface VisualizeFlags {
  readonly layer?: string;
  readonly channel?: string;
  readonly objective?: string;
  readonly batch?: string;
  readonly diversity?: string;
  readonly steps?: string;
  readonly size?: string;
  readonly param?: string;
  readonly decorrelate?: boolean;
  readonly transforms?: string;
  readonly lr?: string;
  readonly seed?: string;
  readonly memoryLimit?: string;
  readonly out: string;
  readonly json?: boolean;
}

/**
 * Registers `visualize` on the program.
 *
 * @example
 * ```ts
 * registerVisualize(program); // lucerna visualize model.onnx --layer conv3 --channel 4,5 --out vis/
 * ```
 */
export function registerVisualize(program: Command): void {
  program
    .command('visualize')
    .description('synthesise images that maximise a channel, a unit, a layer or an objective expression (activation maximisation)')
    .argument('<model>', 'ONNX model file')
    .option('--layer <name>', 'layer (activation tensor or node name)')
    .option('--channel <c,...>', 'channel(s) of --layer to maximise, one image each')
    .option('--objective <expr>', 'objective expression instead of --layer/--channel, e.g. "conv3:12 - 100 * diversity(conv3)"')
    .option('--batch <n>', 'images optimised together for --objective (default 1)')
    .option('--diversity <weight>', 'subtract weight × diversity(layer) (needs several images)')
    .option('--steps <n>', 'optimisation steps (default 512)')
    .option('--size <px>', 'image size (default: the model input size)')
    .option('--param <kind>', 'parameterization: fourier (default) or pixel')
    .option('--no-decorrelate', 'optimise RGB directly instead of decorrelated colour')
    .option('--transforms <set>', 'robustness transforms: standard (default) or none')
    .option('--lr <x>', 'Adam step size (default 0.05)')
    .option('--seed <n>', 'random seed (default 0)')
    .option('--memory-limit <size>', 'refuse sizes whose estimated memory exceeds this, e.g. 8G (default: half of the machine memory)')
    .requiredOption('--out <dir>', 'output folder for the PNGs and the curve')
    .option('--json', 'print a JSON summary')
    .action(async (modelPath: string, flags: VisualizeFlags) => {
      const summary = await runVisualize(modelPath, flags);
      process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : `${summary.message}\n`);
    });
}

/**
 * The objective and batch the flags ask for, with the image file names.
 *
 * @example
 * ```ts
 * objectiveFromFlags({ layer: 'conv3', channel: '4,5', out: 'vis' }).batch; // 2
 * ```
 */
export function objectiveFromFlags(flags: VisualizeFlags): { objective: Objective; batch: number; names: string[] } {
  const weight = parseNumber(flags.diversity, '--diversity', 0);
  if (flags.objective !== undefined) {
    if (flags.channel !== undefined) throw new LucernaError('BAD_OPTION', 'Give either --channel or --objective, not both');
    const batch = parseInteger(flags.batch, '--batch', 1) ?? 1;
    let objective = parseObjective(flags.objective);
    if (weight) {
      if (!flags.layer) throw new LucernaError('BAD_OPTION', '--diversity needs --layer to say where to compare the images');
      objective = objective.minus(diversity(flags.layer).times(weight));
    }
    return { objective, batch, names: Array.from({ length: batch }, (_, i) => `image-${i}.png`) };
  }
  if (!flags.layer) throw new LucernaError('BAD_OPTION', 'Give --layer (with --channel) or --objective');
  if (flags.batch !== undefined) throw new LucernaError('BAD_OPTION', '--batch goes with --objective; with --channel there is one image per channel');
  if (flags.channel === undefined) {
    if (weight) throw new LucernaError('BAD_OPTION', '--diversity needs several images: give several --channel values or --objective with --batch');
    return { objective: layer(flags.layer), batch: 1, names: ['layer.png'] };
  }
  const channels = parseIntegerList(flags.channel, '--channel');
  let objective = sum(channels.map((c, i) => channel(flags.layer as string, c, channels.length > 1 ? { batch: i } : {})));
  if (weight) objective = objective.minus(diversity(flags.layer).times(weight));
  return { objective, batch: channels.length, names: channels.map((c, i) => (channels.indexOf(c) === i ? `channel-${c}.png` : `channel-${c}-${i}.png`)) };
}

/** Appended when the objective never changed. */
const STUCK_NOTE = '; the objective never changed: no gradient reaches the image (a channel whose ReLU never fires?)';

function parseParam(text: string | undefined): 'fourier' | 'pixel' | undefined {
  if (text === undefined || text === 'fourier' || text === 'pixel') return text;
  throw new LucernaError('BAD_OPTION', `--param must be fourier or pixel, got "${text}"`);
}

function parseTransforms(text: string | undefined): 'standard' | 'none' | undefined {
  if (text === undefined || text === 'standard' || text === 'none') return text;
  throw new LucernaError('BAD_OPTION', `--transforms must be standard or none, got "${text}"`);
}

/**
 * Runs the command and returns its summary (what it printed), for tests and JSON mode.
 *
 * @example
 * ```ts
 * const s = await runVisualize('model.onnx', { layer: 'conv3', channel: '4', out: 'vis' });
 * ```
 */
export async function runVisualize(modelPath: string, flags: VisualizeFlags) {
  const { objective, batch, names } = objectiveFromFlags(flags);
  const steps = parseInteger(flags.steps, '--steps', 1) ?? 512;
  const sizeFlag = parseInteger(flags.size, '--size', 8);
  const parameterization = parseParam(flags.param);
  const transforms = parseTransforms(flags.transforms);
  const learningRate = parseNumber(flags.lr, '--lr', Number.MIN_VALUE);
  const seed = parseInteger(flags.seed, '--seed', 0) ?? 0;
  const memoryLimit = flags.memoryLimit === undefined ? undefined : parseMemorySize(flags.memoryLimit, '--memory-limit');
  const t0 = performance.now();
  const loaded = await loadModelWithPixels(modelPath);
  await using model = loaded.model;
  const size = sizeFlag ?? loaded.preprocessing.size;
  const progress = progressBar('visualize', !flags.json);
  const result = await withInterrupt((signal) =>
    visualize(model, objective, {
      steps,
      size,
      batch,
      parameterization,
      decorrelate: flags.decorrelate,
      transforms,
      learningRate,
      seed,
      pixels: loaded.pixels,
      memoryLimit,
      signal,
      onStep: (step) => progress.onProgress?.(step, steps),
      onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
    }),
  ).finally(() => progress.stop());
  const outputs: string[] = [];
  for (let i = 0; i < batch; i++) {
    const image = planarToRgb(result.images, i);
    const path = join(flags.out, names[i] as string);
    await writeFileAtomic(path, await encodeRgbPng(image.rgb, image.width, image.height));
    outputs.push(path);
  }
  const curveFiles = await writeCurve(join(flags.out, 'curve'), result.curve, 'values', { objective: result.objective, steps, seed });
  const seconds = (performance.now() - t0) / 1000;
  const first = result.curve[0] as number;
  const last = result.curve[result.curve.length - 1] as number;
  const stuck = result.curve.every((v) => v === first);
  return {
    model: modelPath,
    objective: result.objective,
    steps,
    size: [result.images.shape[2], result.images.shape[3]],
    first,
    last,
    stuck,
    outputs: [...outputs, ...curveFiles],
    seconds: Math.round(seconds * 10) / 10,
    message: `visualize: ${result.objective}: ${first.toPrecision(4)} → ${last.toPrecision(4)} in ${steps} steps → ${outputs.join(', ')} (${seconds.toFixed(1)} s)${stuck ? STUCK_NOTE : ''}`,
  };
}
