/**
 * `lucerna graph build <model> --dataset <dir> --class <name> --layer <t1,t2,...> --out <dir>
 * [--patterns 40,40,20,20] [--parents 15] [--peaks 5] [--iterations 5] [--batch-size 8] [--json]`:
 * mines an explanatory graph (Zhang et al. 2018, "Interpreting CNN Knowledge via an Explanatory
 * Graph", https://arxiv.org/abs/1708.01785) from the conv layers of a trained model, on the images
 * of one class of a landmark data set (`lucerna dataset parts` writes one), and writes
 * `<out>/graph.json`. Layers are given lower → top. Images are stretched to the model input.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { collectGraphPeaks } from '../../disentangle/graph/collect.js';
import { fitExplanatoryGraph } from '../../disentangle/graph/fit.js';
import { resolveSettings } from '../../disentangle/graph/settings.js';
import { LucernaError } from '../../errors.js';
import { writeFileAtomic } from '../../io/write.js';
import { progressBar, withInterrupt } from '../progress.js';
import { parseInteger } from './attribute-options.js';
import { classImages, modelId } from './graph-io.js';
import { loadModelWithPixels, parseIntegerList } from './visualization-io.js';

/** Fewest class images a graph is built from. */
export const MIN_BUILD_IMAGES = 4;

/** Flags of `lucerna graph build`. */
export interface GraphBuildFlags {
  readonly dataset: string;
  readonly class: string;
  readonly layer: string;
  readonly out: string;
  readonly patterns?: string;
  readonly parents?: string;
  readonly peaks?: string;
  readonly iterations?: string;
  readonly batchSize?: string;
  readonly json?: boolean;
}

/**
 * Registers `build` on the `graph` command.
 *
 * @example
 * ```ts
 * registerGraphBuild(graph); // lucerna graph build net.onnx --dataset data --class bird --layer relu3,relu4 --out g
 * ```
 */
export function registerGraphBuild(graph: Command): void {
  graph
    .command('build')
    .description('mine an explanatory graph (part patterns per filter, linked across layers) from conv layers on one class')
    .argument('<model>', 'ONNX model file (a trained network)')
    .requiredOption('--dataset <dir>', 'Broden-format data set with landmarks.csv')
    .requiredOption('--class <name>', 'the object class whose images are mined')
    .requiredOption('--layer <t1,t2,...>', 'conv layers, lower to top, comma-separated')
    .requiredOption('--out <dir>', 'write graph.json here')
    .option('--patterns <n,...>', 'patterns per filter per layer, lower to top (default: the paper’s 40,40,20,20, top-aligned)')
    .option('--parents <n>', 'parents per node (default 15)')
    .option('--peaks <n>', 'peaks kept per filter and image (default 5)')
    .option('--iterations <n>', 'EM iterations per layer (default 5)')
    .option('--batch-size <n>', 'images per engine call (default 8)')
    .option('--json', 'print the summary as JSON')
    .action(async (modelPath: string, flags: GraphBuildFlags) => {
      const s = await runGraphBuild(modelPath, flags);
      process.stdout.write(flags.json ? `${JSON.stringify(s.json, null, 2)}\n` : `${s.message}\n`);
    });
}

/**
 * Runs the command; returns the summary and the graph.
 *
 * @example
 * ```ts
 * const s = await runGraphBuild('net.onnx', { dataset: 'data', class: 'bird', layer: 'relu3,relu4', out: 'g' });
 * s.graph.nodes.length;
 * ```
 */
export async function runGraphBuild(modelPath: string, flags: GraphBuildFlags) {
  const layerNames = flags.layer
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (layerNames.length === 0) throw new LucernaError('BAD_OPTION', '--layer needs at least one layer name');
  const settings = resolveSettings(
    {
      ...(flags.patterns === undefined ? {} : { patternsPerFilter: parseIntegerList(flags.patterns, '--patterns') }),
      ...(flags.parents === undefined ? {} : { parents: parseInteger(flags.parents, '--parents', 1) }),
      ...(flags.peaks === undefined ? {} : { peaksPerFilter: parseInteger(flags.peaks, '--peaks', 1) }),
      ...(flags.iterations === undefined ? {} : { iterations: parseInteger(flags.iterations, '--iterations', 1) }),
    },
    layerNames.length,
  );
  const batchSize = parseInteger(flags.batchSize, '--batch-size', 1) ?? 8;
  const t0 = performance.now();
  const loaded = await loadModelWithPixels(modelPath);
  await using model = loaded.model;
  const preprocessing = { ...loaded.preprocessing, resize: 'stretch' as const };
  const inputSize = [preprocessing.size[0], preprocessing.size[1]] as [number, number];
  const images = await classImages(flags.dataset, flags.class, MIN_BUILD_IMAGES, model, preprocessing);
  const id = await modelId(modelPath);
  const progress = progressBar('graph build', !flags.json);
  const graph = await withInterrupt(async (signal) => {
    const total = images.length + settings.iterations * layerNames.length;
    const { peaks, layers } = await collectGraphPeaks(model, images, {
      layers: layerNames,
      inputSize,
      peaksPerFilter: settings.peaksPerFilter,
      batchSize,
      signal,
      onProgress: (done) => progress.onProgress?.(done, total),
    });
    const fitted = fitExplanatoryGraph(peaks, { model: { id, name: resolve(modelPath) }, inputSize, layers }, settings, {
      signal,
      onProgress: (done) => progress.onProgress?.(images.length + done, total),
    });
    return { ...fitted, class: flags.class };
  }).finally(() => progress.stop());
  const out = resolve(flags.out, 'graph.json');
  await writeFileAtomic(out, `${JSON.stringify(graph)}\n`);
  const seconds = (performance.now() - t0) / 1000;
  const perLayer = graph.layers.map((l, i) => `${l.name}: ${graph.nodes.filter((n) => n.layer === i).length}`).join(', ');
  const json = { graph: out, images: images.length, nodes: graph.nodes.length, edges: graph.edges.length, layers: graph.layers.map((l) => l.name) };
  return {
    graph,
    json,
    message: `graph build: ${graph.nodes.length} nodes (${perLayer}), ${graph.edges.length} edges from ${images.length} images of ${flags.class} → ${out} (${seconds.toFixed(1)} s)`,
  };
}
