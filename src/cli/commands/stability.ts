/**
 * `lucerna stability <model> --dataset <dir> --layer <tensor> [--class <name>] [--protocol default|icnn]
 * [--top-images 100] [--select-ratio 1] [--batch-size 8] [--out <dir>] [--json]`: the location
 * instability of every filter of a layer (Zhang et al. 2018, "Interpretable Convolutional Neural
 * Networks", https://arxiv.org/abs/1710.00935) on a Broden-format data set with `landmarks.csv`.
 * Images are resized to the model input by stretching, and landmarks are scaled with them. With
 * `--out` it writes `filters.csv`, `summary.json` and `report.html` (histogram, and the peaks of the
 * 8 most and 8 least stable filters on a mean-shape canvas); without it, no file.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { type LandmarkImage, readLandmarkSet } from '../../datasets/node/landmark-set.js';
import { LucernaError } from '../../errors.js';
import { loadImageTensor } from '../../io/image.js';
import { writeFileAtomic } from '../../io/write.js';
import { stabilityReportHtml } from '../../metrics/report/stability-html.js';
import { layerStability, type StabilityImage } from '../../metrics/stability.js';
import { progressBar, withInterrupt } from '../progress.js';
import { parseInteger, parseProbability } from './attribute-options.js';
import { runGraphStability } from './stability-graph.js';
import { loadModelWithPixels } from './visualization-io.js';

/** Flags of `lucerna stability`. */
export interface StabilityFlags {
  readonly dataset: string;
  readonly layer?: string;
  readonly class?: string;
  readonly protocol?: string;
  readonly topImages?: string;
  readonly selectRatio?: string;
  readonly batchSize?: string;
  readonly out?: string;
  readonly json?: boolean;
}

/**
 * Registers `stability` on the program.
 *
 * @example
 * ```ts
 * registerStability(program); // lucerna stability model.onnx --dataset data/parts --layer relu4 --class bird --json
 * ```
 */
export function registerStability(program: Command): void {
  program
    .command('stability')
    .description('location instability of each filter of a layer: how much its peak moves relative to the object landmarks across images')
    .argument('<model>', 'ONNX model file, or a graph.json (then its nodes are measured beside the filters of its layers)')
    .requiredOption('--dataset <dir>', 'Broden-format data set with landmarks.csv (lucerna dataset parts writes one)')
    .option('--layer <tensor>', 'layer (4-D activation tensor or node name); required for a model')
    .option('--model <file>', 'graph.json: the model (default: the one the graph records)')
    .option('--class <name>', 'count only images with an object of this class (default: every image with an object)')
    .option('--protocol <p>', 'default (the documented definition) or icnn (the ICNN authors’ code)', 'default')
    .option('--top-images <k>', 'icnn: images per filter and landmark, best peaks first (default 100)')
    .option('--select-ratio <r>', 'icnn: fraction of the most stable filters averaged for the layer (default 1)')
    .option('--batch-size <n>', 'images per engine call (default 8)')
    .option('--out <dir>', 'write filters.csv, summary.json and report.html here')
    .option('--json', 'print the result as JSON')
    .action(async (modelPath: string, flags: StabilityFlags & { model?: string }) => {
      const summary = modelPath.endsWith('.json') ? await runGraphStability(modelPath, flags) : await runStability(modelPath, flags);
      process.stdout.write(flags.json ? `${JSON.stringify(summary.json, null, 2)}\n` : `${summary.message}\n`);
    });
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

function parseProtocol(text: string | undefined): 'default' | 'icnn' {
  if (text === undefined || text === 'default' || text === 'icnn') return text ?? 'default';
  throw new LucernaError('BAD_OPTION', `--protocol must be default or icnn, got "${text}"`);
}

/**
 * Runs the command and returns its summary (`json` is what `--json` prints).
 *
 * @example
 * ```ts
 * const s = await runStability('model.onnx', { dataset: 'data/parts', layer: 'relu4', class: 'bird' });
 * s.json.instability;
 * ```
 */
export async function runStability(modelPath: string, flags: StabilityFlags) {
  const layer = flags.layer;
  if (!layer) throw new LucernaError('BAD_OPTION', '--layer is required for a model', 'Name a conv layer, or pass a graph.json');
  const protocol = parseProtocol(flags.protocol);
  const topImages = parseInteger(flags.topImages, '--top-images', 1);
  const selectRatio = parseProbability(flags.selectRatio, '--select-ratio');
  const batchSize = parseInteger(flags.batchSize, '--batch-size', 1) ?? 8;
  const all = await readLandmarkSet(flags.dataset);
  const chosen = countedImages(all, flags.class, flags.dataset);
  const t0 = performance.now();
  const loaded = await loadModelWithPixels(modelPath);
  await using model = loaded.model;
  const preprocessing = { ...loaded.preprocessing, resize: 'stretch' as const };
  const [height, width] = preprocessing.size;
  const images: StabilityImage[] = chosen.map((i) => ({
    name: i.image,
    load: async () => (await loadImageTensor(i.path, { ...preprocessing, inputDims: model.input.dims })).tensor,
    landmarks: new Map([...i.landmarks].map(([k, [x, y]]) => [k, [(x * width) / i.width, (y * height) / i.height] as const])),
  }));
  const progress = progressBar('stability', !flags.json);
  const result = await withInterrupt((signal) =>
    layerStability(model, images, {
      layer,
      inputSize: [height, width],
      protocol,
      topImages,
      selectRatio,
      batchSize,
      signal,
      onProgress: progress.onProgress,
    }),
  ).finally(() => progress.stop());
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
      model: modelPath,
      dataset: flags.dataset,
      inputSize: [height, width],
      layerShape: result.shape,
    };
    const settings = {
      protocol,
      class: flags.class ?? '(every object)',
      images: chosen.length,
      model: modelPath,
      dataset: flags.dataset,
      'input size': `${width}×${height}`,
    };
    const html = stabilityReportHtml({ title: result.layer, result, images: result.records, width, height, settings });
    outputs.push(join(flags.out, 'filters.csv'), join(flags.out, 'summary.json'), join(flags.out, 'report.html'));
    await writeFileAtomic(outputs[0] as string, csv);
    await writeFileAtomic(outputs[1] as string, `${JSON.stringify(summary, null, 2)}\n`);
    await writeFileAtomic(outputs[2] as string, html);
  }
  const seconds = (performance.now() - t0) / 1000;
  const value = result.instability === null ? 'null' : result.instability.toFixed(4);
  const written = outputs.length ? ` → ${flags.out}` : '';
  return {
    json,
    nullFilters: result.nullFilters,
    outputs,
    message: `stability (${protocol}): ${result.layer}: ${value} over ${result.filters.length - result.nullFilters} filters (${result.nullFilters} null), ${chosen.length} images${flags.class ? ` of ${flags.class}` : ''}${written} (${seconds.toFixed(1)} s)`,
  };
}
