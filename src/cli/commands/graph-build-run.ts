/**
 * The work of `lucerna graph build [MODEL] --dataset <dir> --class <name> --layer <t1,t2,...> --out <dir>
 * [--patterns 40,40,20,20] [--parents 15] [--peaks 5] [--iterations 5] [--batch-size 8] [--json]`:
 * mines an explanatory graph (Zhang et al. 2018, "Interpreting CNN Knowledge via an Explanatory
 * Graph", https://arxiv.org/abs/1708.01785) from the conv layers of a trained model, on the images
 * of one class of a landmark data set (`lucerna dataset parts` writes one), and writes
 * `<out>/graph.json`. Layers are given lower → top. Images are stretched to the model input. Loaded
 * by `graph-build.ts` when the command runs.
 */
import { resolve } from 'node:path';
import { collectGraphPeaks } from '../../disentangle/graph/collect.js';
import { fitExplanatoryGraphAsync } from '../../disentangle/graph/fit.js';
import { resolveSettings } from '../../disentangle/graph/settings.js';
import { LucernaError } from '../../errors.js';
import type { CommandContext, CommandResult } from '../command.js';
import { openModel, pixelSettings } from '../model.js';
import { parseInteger, parseIntList, splitList } from '../parse.js';
import { progressBar } from '../progress.js';
import { classImages, graphModelId } from './graph-io.js';

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
 * Runs the command; writes `<out>/graph.json` and returns the summary.
 *
 * @example
 * ```ts
 * const { json } = await runGraphBuild(ctx, 'net.onnx', { dataset: 'data', class: 'bird', layer: 'relu3,relu4', out: 'g' });
 * ```
 */
export async function runGraphBuild(ctx: CommandContext, modelPath: string | undefined, flags: GraphBuildFlags): Promise<CommandResult> {
  const layerNames = splitList(flags.layer);
  if (layerNames.length === 0) throw new LucernaError('BAD_OPTION', '--layer needs at least one layer name');
  const settings = resolveSettings(
    {
      ...(flags.patterns === undefined ? {} : { patternsPerFilter: parseIntList(flags.patterns, '--patterns') as number[] }),
      ...(flags.parents === undefined ? {} : { parents: parseInteger(flags.parents, '--parents', 1) }),
      ...(flags.peaks === undefined ? {} : { peaksPerFilter: parseInteger(flags.peaks, '--peaks', 1) }),
      ...(flags.iterations === undefined ? {} : { iterations: parseInteger(flags.iterations, '--iterations', 1) }),
    },
    layerNames.length,
  );
  const batchSize = parseInteger(flags.batchSize, '--batch-size', 1) ?? 8;
  const t0 = performance.now();
  await using opened = await openModel(modelPath);
  const { model } = opened;
  const loaded = pixelSettings(opened, 'lucerna graph build');
  const preprocessing = { ...loaded.preprocessing, resize: 'stretch' as const };
  const inputSize = [preprocessing.size[0], preprocessing.size[1]] as [number, number];
  const images = await classImages(flags.dataset, flags.class, MIN_BUILD_IMAGES, model, preprocessing);
  const file = opened.file ?? opened.given;
  const id = await graphModelId(opened);
  const progress = progressBar('graph build', !flags.json && ctx.io.isTTY);
  const signal = ctx.signal;
  const total = images.length + settings.iterations * layerNames.length;
  let fitted: Awaited<ReturnType<typeof fitExplanatoryGraphAsync>>;
  try {
    const { peaks, layers } = await collectGraphPeaks(model, images, {
      layers: layerNames,
      inputSize,
      peaksPerFilter: settings.peaksPerFilter,
      batchSize,
      signal,
      onProgress: (done) => progress.onProgress?.(done, total),
    });
    fitted = await fitExplanatoryGraphAsync(peaks, { model: { id, name: resolve(file) }, inputSize, layers }, settings, {
      signal,
      onProgress: (done) => progress.onProgress?.(images.length + done, total),
    });
  } finally {
    progress.stop();
  }
  const graph = { ...fitted, class: flags.class };
  const out = resolve(flags.out, 'graph.json');
  await ctx.outputs.write(out, `${JSON.stringify(graph)}\n`);
  const seconds = (performance.now() - t0) / 1000;
  const perLayer = graph.layers.map((l, i) => `${l.name}: ${graph.nodes.filter((n) => n.layer === i).length}`).join(', ');
  const json = { graph: out, images: images.length, nodes: graph.nodes.length, edges: graph.edges.length, layers: graph.layers.map((l) => l.name) };
  return {
    json,
    message: `graph build: ${graph.nodes.length} nodes (${perLayer}), ${graph.edges.length} edges from ${images.length} images of ${flags.class} → ${out} (${seconds.toFixed(1)} s)`,
  };
}
