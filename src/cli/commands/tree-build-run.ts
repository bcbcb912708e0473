import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { brodenClassView } from '../../datasets/node/broden-split.js';
import { imageFolder } from '../../datasets/node/image-folder.js';
import type { Dataset } from '../../datasets/types.js';
import { buildTree } from '../../disentangle/tree/build.js';
import { formatTreeFile, type TreeFile } from '../../disentangle/tree/format.js';
import { type FilterPeaks, filterPeaks } from '../../disentangle/tree/patches.js';
import { computeRationales } from '../../disentangle/tree/rationale.js';
import type { Rationale } from '../../disentangle/tree/types.js';
import { forEachChunk } from '../../engine/batching.js';
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import type { CommandContext, CommandResult } from '../command.js';
import { modelSha256, openModel } from '../model.js';
import { parseInteger, parseNumber } from '../parse.js';
import { progressBar } from '../progress.js';
import { formatHeldOut, type HeldOutFidelity, type HeldOutSet, heldOutFidelity, sameScoreWarning, valIndices } from './tree-held-out.js';

/** Flags of `lucerna tree build`. */
export interface TreeBuildFlags {
  readonly dataset: string;
  readonly class: string;
  readonly layer: string;
  readonly out: string;
  readonly batchSize?: string;
  readonly beta?: string;
  readonly lambda0?: string;
  readonly neighbours?: string;
  readonly report?: boolean;
  readonly reportDepth?: string;
  /** tally.csv of a part dissection of the layer: names the report's filters. */
  readonly parts?: string;
  /** False with `--no-normalise`. */
  readonly normalise?: boolean;
  /** Held-out images (an ImageFolder with the same classes) to report the tree's fidelity on; `none`: no held-out images. */
  readonly heldOut?: string;
  readonly json?: boolean;
}

/** Fewest images of the class a tree is built from. */
export const MIN_TREE_IMAGES = 10;

/**
 * The model's static [C, H, W] sample shape.
 *
 * @example
 * ```ts
 * const shape = imageSampleShape(model); // [3, 64, 64]
 * ```
 */
export function imageSampleShape(model: Model): [number, number, number] {
  const dims = model.graph.primaryInput().dims.slice(1);
  if (dims.length !== 3 || dims.some((d) => typeof d !== 'number')) {
    throw new LucernaError('UNSUPPORTED_MODEL', `The tree needs a model with a static [C, H, W] input; this one takes [${dims.join(', ')}]`);
  }
  return dims as [number, number, number];
}

/**
 * Rationales of the samples `indices` of a data set, read and run `batchSize` at a time.
 *
 * @example
 * ```ts
 * const rs = await datasetRationales(model, data, [0, 1, 2], { layer: 'features', target: 0 });
 * ```
 */
export async function datasetRationales(
  model: Model,
  data: Dataset,
  indices: readonly number[],
  o: {
    layer: string;
    target: number;
    batchSize?: number;
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
    /** Each sample's per-filter peaks, by its position in `indices` (for the report's patches). */
    onPeaks?: (k: number, peaks: FilterPeaks) => void;
  },
): Promise<Rationale[]> {
  const batch = o.batchSize ?? 8;
  const per = data.sampleShape.reduce((a, b) => a * b, 1);
  const out: Rationale[] = [];
  await forEachChunk(indices.length, batch, { signal: o.signal, onProgress: o.onProgress }, async (first, count) => {
    const chunk = indices.slice(first, first + count);
    const { x } = await data.read(chunk, 0);
    const source = { count: chunk.length, fill: (row: number, buf: Float32Array) => buf.set(x.data.subarray(row * per, (row + 1) * per)) };
    const onPeaks = o.onPeaks;
    const onMaps =
      onPeaks && ((row: number, a: Float32Array, map: { channels: number; height: number; width: number }) => onPeaks(first + row, filterPeaks(a, map)));
    out.push(...(await computeRationales(model, data.sampleShape, source, { layer: o.layer, target: o.target, batchSize: batch, signal: o.signal, onMaps })));
  });
  return out;
}

/**
 * Runs `tree build` and returns its summary.
 *
 * @example
 * ```ts
 * const { json } = await runTreeBuild(ctx, 'm.onnx', { dataset: 'd', class: 'bird', layer: 'features', out: 't' });
 * ```
 */
export async function runTreeBuild(ctx: CommandContext, modelPath: string | undefined, flags: TreeBuildFlags): Promise<CommandResult> {
  const batchSize = parseInteger(flags.batchSize, '--batch-size', 1);
  const beta = parseNumber(flags.beta, '--beta', 0) ?? 1;
  const lambda0 = parseNumber(flags.lambda0, '--lambda0', 0) ?? Number.POSITIVE_INFINITY;
  const neighbours = parseInteger(flags.neighbours, '--neighbours', 1) ?? 8;
  const reportDepth = parseInteger(flags.reportDepth, '--report-depth', 0) ?? 3;
  if (flags.parts && !flags.report) throw new LucernaError('BAD_OPTION', '--parts names the filters of the report: add --report');
  await using opened = await openModel(modelPath);
  const m = opened.model;
  const sha256 = await modelSha256(opened);
  const sampleShape = imageSampleShape(m);
  // A Broden folder (what `lucerna dataset parts` writes) is read through its classes/ view, as train and graph build do.
  const view = await brodenClassView(flags.dataset);
  const data = await imageFolder(view?.classes ?? flags.dataset, { sampleShape });
  const classes = data.classNames ?? [];
  const target = classes.indexOf(flags.class);
  if (target < 0) throw new LucernaError('BAD_OPTION', `No class "${flags.class}" in ${flags.dataset}`, `Classes: ${classes.join(', ')}`);
  const labels = await data.labels();
  // Its index.csv's val rows are held out (unless --held-out names other images, or none): the tree is built without them.
  const split = view && flags.heldOut === undefined ? valIndices(view.splitOf, data.files) : [];
  const held = new Set(split);
  const indices = [...labels.keys()].filter((i) => labels[i] === target && !held.has(i));
  let heldOutSet: HeldOutSet | undefined = split.length > 0 ? { data, indices: split, source: `the val split of ${flags.dataset}` } : undefined;
  if (flags.heldOut !== undefined && flags.heldOut !== 'none') {
    const other = await imageFolder((await brodenClassView(flags.heldOut))?.classes ?? flags.heldOut, { sampleShape, classNames: classes });
    heldOutSet = { data: other, indices: [...other.files.keys()], source: flags.heldOut };
  }
  if (indices.length < MIN_TREE_IMAGES) {
    throw new LucernaError(
      'BAD_OPTION',
      `Class "${flags.class}" has ${indices.length} images; a tree needs at least ${MIN_TREE_IMAGES}`,
      'Add images of the class',
    );
  }
  const t0 = performance.now();
  const progress = progressBar('tree build', !flags.json && ctx.io.isTTY);
  const signal = ctx.signal;
  let tree: ReturnType<typeof buildTree>;
  const peaks: FilterPeaks[] = [];
  const onPeaks = flags.report ? (k: number, p: FilterPeaks) => void (peaks[k] = p) : undefined;
  try {
    const rationales = await datasetRationales(m, data, indices, { layer: flags.layer, target, batchSize, signal, onProgress: progress.onProgress, onPeaks });
    const same = sameScoreWarning(rationales, flags.class);
    if (same) ctx.warn(same);
    tree = buildTree(rationales, { beta, lambda0, neighbours, normalise: flags.normalise !== false, signal });
  } finally {
    progress.stop();
  }
  let fidelity: HeldOutFidelity | undefined;
  if (heldOutSet) {
    const { data: d, indices: idx, source } = heldOutSet;
    const bar = progressBar('held-out', !flags.json && ctx.io.isTTY);
    try {
      const rationales = await datasetRationales(m, d, idx, { layer: flags.layer, target, batchSize, signal, onProgress: bar.onProgress });
      const heldLabels = await d.labels();
      fidelity = heldOutFidelity(
        tree,
        rationales,
        idx.map((i) => heldLabels[i] === target),
        source,
      );
    } finally {
      bar.stop();
    }
  }
  const file: TreeFile = {
    format: 'lucerna-rationale-tree',
    version: 1,
    model: { sha256 },
    layer: flags.layer,
    class: { name: flags.class, index: target },
    sampleShape,
    options: { beta, lambda0: Number.isFinite(lambda0) ? lambda0 : null, neighbours: Number.isFinite(neighbours) ? neighbours : null },
    images: indices.map((i) => String(i)),
    ...tree,
  };
  const path = join(flags.out, 'tree.json');
  await ctx.outputs.write(path, formatTreeFile(file));
  const seconds = (performance.now() - t0) / 1000;
  let report: string | undefined;
  if (flags.report) {
    const { drawnFilters, treeReportPage } = await import('../../render/tree/report.js');
    const { treePatches } = await import('./tree-patches.js');
    report = join(flags.out, 'tree.html');
    const wanted = drawnFilters(tree, { maxDepth: reportDepth });
    const files = indices.map((i) => data.files[i] as string);
    const patches = await treePatches(tree, wanted, peaks, files, [sampleShape[1], sampleShape[2]]);
    const filterName = flags.parts ? await (await import('./tree-parts.js')).filterPartNames(flags.parts, tree.filters) : undefined;
    const html = await treeReportPage(tree, {
      patch: (node, filter) => patches.get(`${node}:${filter}`),
      filterName,
      title: `Decision tree of rationales: ${flags.class}`,
      subtitle: `${indices.length} images of "${flags.class}", layer ${flags.layer}, ${tree.nodes.length} nodes (Zhang et al., CVPR 2019)`,
      maxDepth: reportDepth,
      settings: {
        model: modelPath ?? 'bundled',
        dataset: flags.dataset,
        class: flags.class,
        layer: flags.layer,
        ...file.options,
        normalise: flags.normalise !== false,
      },
    });
    await ctx.outputs.write(report, html);
  } else if (existsSync(join(flags.out, 'tree.html'))) {
    ctx.warn(`${join(flags.out, 'tree.html')} is an earlier run's report and does not show this tree; add --report to rewrite it`);
  }
  return {
    json: { path, images: indices.length, nodes: tree.nodes.length, seconds, ...(report ? { report } : {}), ...(fidelity ? { heldOut: fidelity } : {}) },
    message: `Wrote ${path}${report ? ` and ${report}` : ''}: ${tree.nodes.length} nodes from ${indices.length} images in ${seconds.toFixed(1)} s${fidelity ? `\n${formatHeldOut(fidelity, flags.class)}` : ''}`,
  };
}
