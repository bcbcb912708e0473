/**
 * The work of `lucerna visualize [MODEL] --layer <name> --channels <c>[,<c>…] [--objective <expr>] [--steps 512]
 * [--size 224] [--param fourier|pixel] [--seed n] --out <dir>`: activation maximisation. Writes one
 * PNG per optimised image and the objective curve (curve.json, curve.svg).
 *
 * Several channels are optimised together, one image each. `--objective` takes any expression of
 * the objective algebra instead (e.g. `"conv3:12 - 100 * diversity(conv3)"` with `--batch-size 2`).
 * With `--layer` alone the objective is the layer's mean square (DeepDream).
 */
import { join } from 'node:path';
import { LucernaError } from '../../errors.js';
import { encodeRgbPng } from '../../io/image.js';
import { visualize } from '../../visualization/activation-maximization.js';
import { parseMemorySize } from '../../visualization/memory.js';
import { planarToRgb } from '../../visualization/montage.js';
import { parseObjective } from '../../visualization/objective-parser.js';
import { channel, diversity, layer, type Objective, sum } from '../../visualization/objectives.js';
import type { CommandContext, CommandResult } from '../command.js';
import { openModel, pixelSettings } from '../model.js';
import { parseChoice, parseIndexList, parseInteger, parseNumber } from '../parse.js';
import { progressBar } from '../progress.js';
import { writeCurve } from './visualization-io.js';

/** Flags of `lucerna visualize`, as commander passes them. */
export interface VisualizeFlags {
  readonly layer?: string;
  readonly channels?: string;
  readonly objective?: string;
  /** Images optimised together for --objective (old spelling --batch). */
  readonly batchSize?: string;
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
 * The objective and batch the flags ask for, with the image file names.
 *
 * @example
 * ```ts
 * objectiveFromFlags({ layer: 'conv3', channels: '4,5', out: 'vis' }).batch; // 2
 * ```
 */
export function objectiveFromFlags(flags: VisualizeFlags): { objective: Objective; batch: number; names: string[] } {
  const weight = parseNumber(flags.diversity, '--diversity', 0);
  if (flags.objective !== undefined) {
    if (flags.channels !== undefined) throw new LucernaError('BAD_OPTION', 'Give either --channels or --objective, not both');
    const batch = parseInteger(flags.batchSize, '--batch-size', 1) ?? 1;
    let objective = parseObjective(flags.objective);
    if (weight) {
      if (!flags.layer) throw new LucernaError('BAD_OPTION', '--diversity needs --layer to say where to compare the images');
      objective = objective.minus(diversity(flags.layer).times(weight));
    }
    return { objective, batch, names: Array.from({ length: batch }, (_, i) => `image-${i}.png`) };
  }
  if (!flags.layer) throw new LucernaError('BAD_OPTION', 'Give --layer (with --channels) or --objective');
  if (flags.batchSize !== undefined) {
    throw new LucernaError('BAD_OPTION', '--batch-size goes with --objective; with --channels there is one image per channel');
  }
  if (flags.channels === undefined) {
    if (weight) throw new LucernaError('BAD_OPTION', '--diversity needs several images: give several --channels values or --objective with --batch-size');
    return { objective: layer(flags.layer), batch: 1, names: ['layer.png'] };
  }
  const channels = parseIndexList(flags.channels, '--channels');
  let objective = sum(channels.map((c, i) => channel(flags.layer as string, c, channels.length > 1 ? { batch: i } : {})));
  if (weight) objective = objective.minus(diversity(flags.layer).times(weight));
  return { objective, batch: channels.length, names: channels.map((c, i) => (channels.indexOf(c) === i ? `channel-${c}.png` : `channel-${c}-${i}.png`)) };
}

/** Appended when the objective never changed. */
const STUCK_NOTE = '; the objective never changed: no gradient reaches the image (a channel whose ReLU never fires?)';

/**
 * Runs the command and returns its summary (what it printed), for tests and JSON mode.
 *
 * @example
 * ```ts
 * const s = await runVisualize(ctx, 'model.onnx', { layer: 'conv3', channels: '4', out: 'vis' });
 * ```
 */
export async function runVisualize(ctx: CommandContext, modelPath: string | undefined, flags: VisualizeFlags): Promise<CommandResult> {
  const { objective, batch, names } = objectiveFromFlags(flags);
  const steps = parseInteger(flags.steps, '--steps', 1) ?? 512;
  const sizeFlag = parseInteger(flags.size, '--size', 8);
  const parameterization = parseChoice(flags.param, '--param', ['fourier', 'pixel'] as const);
  const transforms = parseChoice(flags.transforms, '--transforms', ['standard', 'none'] as const);
  const learningRate = parseNumber(flags.lr, '--lr', Number.MIN_VALUE);
  const seed = parseInteger(flags.seed, '--seed', 0) ?? 0;
  const memoryLimit = flags.memoryLimit === undefined ? undefined : parseMemorySize(flags.memoryLimit, '--memory-limit');
  const t0 = performance.now();
  await using opened = await openModel(modelPath);
  const { model } = opened;
  const loaded = pixelSettings(opened, 'lucerna visualize');
  const size = sizeFlag ?? loaded.preprocessing.size;
  const progress = progressBar('visualize', !flags.json && ctx.io.isTTY);
  const signal = ctx.signal;
  const result = await visualize(model, objective, {
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
    onWarning: (message) => ctx.warn(message),
  }).finally(() => progress.stop());
  const outputs: string[] = [];
  for (let i = 0; i < batch; i++) {
    const image = planarToRgb(result.images, i);
    const path = join(flags.out, names[i] as string);
    await ctx.outputs.write(path, await encodeRgbPng(image.rgb, image.width, image.height));
    outputs.push(path);
  }
  const curveFiles = await writeCurve(ctx.outputs, join(flags.out, 'curve'), result.curve, 'values', { objective: result.objective, steps, seed });
  const seconds = (performance.now() - t0) / 1000;
  const first = result.curve[0] as number;
  const last = result.curve[result.curve.length - 1] as number;
  const stuck = result.curve.every((v) => v === first);
  const json = {
    model: opened.given,
    objective: result.objective,
    steps,
    size: [result.images.shape[2], result.images.shape[3]],
    first,
    last,
    stuck,
    outputs: [...outputs, ...curveFiles],
    seconds: Math.round(seconds * 10) / 10,
  };
  return {
    json,
    message: `visualize: ${result.objective}: ${first.toPrecision(4)} → ${last.toPrecision(4)} in ${steps} steps → ${outputs.join(', ')} (${seconds.toFixed(1)} s)${stuck ? STUCK_NOTE : ''}`,
  };
}
