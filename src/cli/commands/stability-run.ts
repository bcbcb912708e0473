/**
 * The work of `lucerna stability [MODEL] --dataset <dir> --layer <tensor> [--class <name>] [--protocol default|icnn]
 * [--top-images 100] [--select-ratio 1] [--batch-size 8] [--out <dir>] [--json]`: the location
 * instability of every filter of a layer (Zhang et al. 2018, "Interpretable Convolutional Neural
 * Networks", https://arxiv.org/abs/1710.00935) on a Broden-format data set with `landmarks.csv`.
 * Images are resized to the model input by stretching, and landmarks are scaled with them. With
 * `--out` it writes `filters.csv`, `summary.json` and `report.html` (histogram, and the peaks of the
 * 8 most and 8 least stable filters on a mean-shape canvas); without it, no file. Loaded by
 * `stability.ts` when the command runs. A `graph.json` in place of the model goes to
 * `stability-graph-run.ts` (the explanatory graph's nodes beside its layers' filters).
 */
import { join } from 'node:path';
import { type LandmarkImage, readLandmarkSet } from '../../datasets/node/landmark-set.js';
import { LucernaError } from '../../errors.js';
import { loadImageTensor } from '../../io/image.js';
import { layerStability, type StabilityImage } from '../../metrics/stability.js';
import { stabilityReportHtml } from '../../render/report/stability.js';
import type { CommandContext, CommandResult } from '../command.js';
import { openModel, pixelSettings } from '../model.js';
import { parseChoice, parseInteger, parseProbability } from '../parse.js';
import { progressBar } from '../progress.js';
import { isGraphFile } from './graph-io.js';

/** Flags of `lucerna stability`. */
export interface StabilityFlags {
  readonly dataset: string;
  readonly layer?: string;
  /** With a graph.json: the model (default: the one the graph records). */
  readonly model?: string;
  readonly class?: string;
  readonly protocol?: string;
  readonly topImages?: string;
  /** With a graph.json: units measured per layer (the graph protocol). */
  readonly topUnits?: string;
  readonly selectRatio?: string;
  readonly batchSize?: string;
  readonly out?: string;
  readonly json?: boolean;
}

function countedImages(all: readonly LandmarkImage[], className: string | undefined, dataset: string): LandmarkImage[] {
  const found = [...new Set(all.flatMap((i) => [...i.objects]))].sort();
  const chosen = all.filter((i) => (className === undefined ? i.objects.size > 0 : i.objects.has(className)));
  if (chosen.length === 0) {
    const what = className === undefined ? 'an object' : `an object of class "${className}"`;
    throw new LucernaError(
      'BAD_OPTION',
      `No image of ${dataset} has ${what}`,
      found.length ? `Classes found: ${found.join(', ')}` : 'The object planes are empty',
    );
  }
  return chosen;
}

/**
 * Runs the command and returns its summary (`json` is what `--json` prints).
 *
 * @example
 * ```ts
 * const { json } = await runStability(ctx, 'model.onnx', { dataset: 'data/parts', layer: 'relu4', class: 'bird' });
 * ```
 */
export async function runStability(ctx: CommandContext, modelPath: string | undefined, flags: StabilityFlags): Promise<CommandResult> {
  if (await isGraphFile(modelPath)) return (await import('./stability-graph-run.js')).runGraphStability(ctx, modelPath as string, flags);
  const layer = flags.layer;
  if (!layer) throw new LucernaError('BAD_OPTION', '--layer is required for a model', 'Name a conv layer, or pass a graph.json');
  if (flags.model !== undefined) throw new LucernaError('BAD_OPTION', '--model goes with a graph.json', 'Give the model as the first argument');
  const protocol = parseChoice(flags.protocol, '--protocol', ['default', 'icnn'] as const) ?? 'default';
  const topImages = parseInteger(flags.topImages, '--top-images', 1);
  const selectRatio = parseProbability(flags.selectRatio, '--select-ratio');
  const batchSize = parseInteger(flags.batchSize, '--batch-size', 1) ?? 8;
  const all = await readLandmarkSet(flags.dataset);
  const chosen = countedImages(all, flags.class, flags.dataset);
  const t0 = performance.now();
  await using opened = await openModel(modelPath);
  const { model } = opened;
  const loaded = pixelSettings(opened, 'lucerna stability');
  const preprocessing = { ...loaded.preprocessing, resize: 'stretch' as const };
  const [height, width] = preprocessing.size;
  const images: StabilityImage[] = chosen.map((i) => ({
    name: i.image,
    load: async () => (await loadImageTensor(i.path, { ...preprocessing, inputDims: model.input.dims })).tensor,
    landmarks: new Map([...i.landmarks].map(([k, [x, y]]) => [k, [(x * width) / i.width, (y * height) / i.height] as const])),
  }));
  const progress = progressBar('stability', !flags.json && ctx.io.isTTY);
  const result = await layerStability(model, images, {
    layer,
    inputSize: [height, width],
    protocol,
    topImages,
    selectRatio,
    batchSize,
    signal: ctx.signal,
    onProgress: progress.onProgress,
  }).finally(() => progress.stop());
  const json = {
    layer: result.layer,
    instability: result.instability,
    filters: result.filters.map((f) => ({ filter: f.filter, instability: f.instability, images: f.images })),
  };
  const outputs: string[] = [];
  if (flags.out) {
    const csv = ['filter,instability,images', ...result.filters.map((f) => `${f.filter},${f.instability ?? ''},${f.images}`), ''].join('\n');
    const summary = {
      ...json,
      nullFilters: result.nullFilters,
      protocol,
      class: flags.class ?? null,
      images: chosen.length,
      model: opened.given,
      dataset: flags.dataset,
      inputSize: [height, width],
      layerShape: result.shape,
    };
    const settings = {
      protocol,
      class: flags.class ?? '(every object)',
      images: chosen.length,
      model: opened.given,
      dataset: flags.dataset,
      'input size': `${width}×${height}`,
    };
    const html = stabilityReportHtml({ title: result.layer, result, images: result.records, width, height, settings });
    outputs.push(join(flags.out, 'filters.csv'), join(flags.out, 'summary.json'), join(flags.out, 'report.html'));
    await ctx.outputs.write(outputs[0] as string, csv);
    await ctx.outputs.write(outputs[1] as string, `${JSON.stringify(summary, null, 2)}\n`);
    await ctx.outputs.write(outputs[2] as string, html);
  }
  const seconds = (performance.now() - t0) / 1000;
  const value = result.instability === null ? 'null' : result.instability.toFixed(4);
  const written = outputs.length ? ` → ${flags.out}` : '';
  return {
    json,
    message: `stability (${protocol}): ${result.layer}: ${value} over ${result.filters.length - result.nullFilters} filters (${result.nullFilters} null), ${chosen.length} images${flags.class ? ` of ${flags.class}` : ''}${written} (${seconds.toFixed(1)} s)`,
  };
}
