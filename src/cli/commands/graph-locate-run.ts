/**
 * The work of `lucerna graph locate <graph.json> --dataset <dir> --part <landmark> (--shots K | --annotations
 * clicks.csv) --out <dir> [--model <file>] [--class <name>] [--nodes 10] [--batch-size 8] [--json]`:
 * few-shot part localisation with an explanatory graph (Zhang et al. 2018,
 * https://arxiv.org/abs/1708.01785). The part is annotated on a few images of the graph's class:
 * with `--shots K`, the first K images of the class (in the data set's order) that have the landmark
 * stand in for the user's clicks; with `--annotations`, a CSV `image,landmark,x,y` (image pixels)
 * gives them. The nodes that best predict those clicks locate the part on every other image of the
 * class that has the landmark; the error is the distance to the true landmark over the input
 * diagonal. Three baselines are measured the same way: the best single raw filter of the graph's
 * layers (its maximum; scored on its own and, as `filterWithPrior`, averaged with the clicks' mean
 * position as the graph's nodes are), a feature template matched on the graph's layers (`template.ts`, the
 * stand-in for a detector learnt from the same shots), and the mean clicked position. Writes `<out>/locate.csv` and
 * `<out>/summary.json`. Loaded by `graph-locate.ts` when the command runs.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCsv } from '../../datasets/broden/csv.js';
import { inferNodePositions } from '../../disentangle/graph/infer.js';
import { DEFAULT_LOCATE_UNITS, firingFractions, fitPartLocator, locatePart, normalisedDistance } from '../../disentangle/graph/locate.js';
import { fitPartTemplate, matchTemplate } from '../../disentangle/graph/template.js';
import type { ActivationMap, ImagePeaks } from '../../disentangle/graph/types.js';
import { filterUnits } from '../../disentangle/qa/units.js';
import { LucernaError } from '../../errors.js';
import type { CommandContext, CommandResult } from '../command.js';
import { parseInteger } from '../parse.js';
import { type ClassImage, classImages, graphPeaks, openGraphModel, readGraph } from './graph-io.js';

/** Nodes kept by `graph locate` when `--nodes` is not given (see `locate.ts` for the rule). */
export const DEFAULT_LOCATE_NODES = DEFAULT_LOCATE_UNITS;

/** Flags of `lucerna graph locate`. */
export interface GraphLocateFlags {
  readonly dataset: string;
  readonly part: string;
  readonly out: string;
  readonly shots?: string;
  readonly annotations?: string;
  readonly model?: string;
  readonly class?: string;
  readonly nodes?: string;
  readonly batchSize?: string;
  readonly json?: boolean;
}

async function readClicks(path: string, part: string): Promise<Map<string, [number, number]>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new LucernaError('FILE_NOT_FOUND', `Cannot read the annotations ${path}`);
  }
  const rows = parseCsv(text, ['image', 'landmark', 'x', 'y'], path);
  const clicks = new Map<string, [number, number]>();
  for (const r of rows) {
    if (r.landmark !== part) continue;
    const x = Number(r.x);
    const y = Number(r.y);
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new LucernaError('BAD_FILE', `${path}: the click on ${r.image} is not a number`);
    clicks.set(r.image as string, [x, y]);
  }
  if (clicks.size === 0) throw new LucernaError('BAD_OPTION', `${path} has no click on "${part}"`);
  return clicks;
}

/**
 * Runs the command; returns the summary.
 *
 * @example
 * ```ts
 * const { json } = await runGraphLocate(ctx, 'g/graph.json', { dataset: 'data', part: 'head', shots: '3', out: 'loc' });
 * ```
 */
export async function runGraphLocate(ctx: CommandContext, graphPath: string, flags: GraphLocateFlags): Promise<CommandResult> {
  if ((flags.shots === undefined) === (flags.annotations === undefined))
    throw new LucernaError('BAD_OPTION', 'Give exactly one of --shots K and --annotations clicks.csv');
  const shots = parseInteger(flags.shots, '--shots', 1);
  const count = parseInteger(flags.nodes, '--nodes', 1) ?? DEFAULT_LOCATE_NODES;
  const batchSize = parseInteger(flags.batchSize, '--batch-size', 1) ?? 8;
  const graph = await readGraph(graphPath);
  const className = flags.class ?? graph.class;
  if (className === undefined) throw new LucernaError('BAD_OPTION', 'The graph records no class', 'Pass --class');
  const clicks = flags.annotations ? await readClicks(flags.annotations, flags.part) : undefined;
  const { opened: graphModel, preprocessing } = await openGraphModel(graph, flags.model, 'lucerna graph locate');
  await using opened = graphModel;
  const { model } = opened;
  const [height, width] = preprocessing.size;
  const images = await classImages(flags.dataset, className, 1, model, preprocessing);
  const all = images.filter((i) => i.landmarks.has(flags.part));
  if (all.length === 0) {
    // As graph qa says it: an unknown landmark name, with the names there are.
    const names = [...new Set(images.flatMap((im) => [...im.landmarks.keys()]))].sort();
    throw new LucernaError(
      'BAD_OPTION',
      `No image of class "${className}" in ${flags.dataset} has the landmark "${flags.part}"`,
      names.length ? `Its images have: ${names.join(', ')}` : 'Its images have no landmarks (landmarks.csv)',
    );
  }
  const needed = (shots ?? clicks?.size ?? 1) + 1;
  if (all.length < needed)
    throw new LucernaError(
      'BAD_OPTION',
      `Class "${className}" has ${all.length} images with "${flags.part}"; at least ${needed} are needed (the shots and one to locate on)`,
    );
  const isShot = (im: ClassImage, k: number) => (clicks ? clicks.has(im.image) : k < (shots as number));
  const partOf = (im: ClassImage): readonly [number, number] => {
    const click = clicks?.get(im.image);
    // Clicks are in image pixels like landmarks.csv: scale them to the model input the same way.
    return click ? [click[0] * im.scale[0], click[1] * im.scale[1]] : (im.landmarks.get(flags.part) as readonly [number, number]);
  };
  const shotList = all.filter((im, k) => isShot(im, k));
  const heldList = all.filter((im, k) => !isShot(im, k));
  if (shotList.length === 0) throw new LucernaError('BAD_OPTION', `None of the annotated images is an image of class "${className}" with "${flags.part}"`);
  if (heldList.length === 0) throw new LucernaError('BAD_OPTION', 'Every image is annotated; none is left to locate on');
  // Shots first: their full maps give the template baseline, which is then matched on each held-out image as its maps pass.
  const shotMaps: ActivationMap[][] = [];
  const keepMaps = (i: number, maps: readonly ActivationMap[]) => {
    shotMaps[i] = maps.map((m) => ({ ...m, data: Float32Array.from(m.data) }));
  };
  const shotPeaks = await graphPeaks(ctx, 'graph locate (shots)', graph, model, shotList, preprocessing, batchSize, flags.json, keepMaps);
  const template = fitPartTemplate(
    shotList.map((im, i) => ({ maps: shotMaps[i] as ActivationMap[], part: partOf(im) })),
    [height, width],
  );
  const templateAt: [number, number][] = [];
  const match = (i: number, maps: readonly ActivationMap[]) => {
    templateAt[i] = matchTemplate(template, maps, [height, width]);
  };
  const heldPeaks = await graphPeaks(ctx, 'graph locate', graph, model, heldList, preprocessing, batchSize, flags.json, match);
  const view = (im: ClassImage, p: ImagePeaks) => ({
    im,
    nodes: inferNodePositions(graph, p),
    filters: filterUnits(p),
    truth: im.landmarks.get(flags.part) as readonly [number, number],
    part: partOf(im),
  });
  const shotImages = shotList.map((im, i) => view(im, shotPeaks[i] as ImagePeaks));
  const held = heldList.map((im, i) => ({ ...view(im, heldPeaks[i] as ImagePeaks), template: templateAt[i] as [number, number] }));
  // Firing rates over every image given (shots and held out), without their landmarks: the locator keeps frequent units only.
  const pool = [...shotImages, ...held];
  const graphLoc = fitPartLocator(
    shotImages.map((i) => ({ units: i.nodes, part: i.part })),
    count,
    [height, width],
    { rates: firingFractions(pool.map((i) => i.nodes)) },
  );
  const filterLoc = fitPartLocator(
    shotImages.map((i) => ({ units: i.filters, part: i.part })),
    1,
    [height, width],
    { rates: firingFractions(pool.map((i) => i.filters)) },
  );
  const rows = held.map((i) => {
    const g = locatePart(graphLoc, i.nodes);
    const f = locatePart(filterLoc, i.filters, { prior: false });
    const fp = locatePart(filterLoc, i.filters);
    const m = graphLoc.fallback;
    return {
      image: i.im.image,
      g,
      truth: i.truth,
      eg: normalisedDistance(g, i.truth, [height, width]),
      ef: normalisedDistance(f, i.truth, [height, width]),
      efp: normalisedDistance(fp, i.truth, [height, width]),
      et: normalisedDistance(i.template, i.truth, [height, width]),
      em: normalisedDistance([m[0], m[1]], i.truth, [height, width]),
    };
  });
  const mean = (f: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
  const error = {
    graph: mean((r) => r.eg),
    filter: mean((r) => r.ef),
    filterWithPrior: mean((r) => r.efp),
    template: mean((r) => r.et),
    mean: mean((r) => r.em),
  };
  const csv = [
    'image,x,y,true_x,true_y,error_graph,error_filter,error_filter_with_prior,error_template,error_mean',
    ...rows.map((r) => [r.image, r.g[0], r.g[1], r.truth[0], r.truth[1], r.eg, r.ef, r.efp, r.et, r.em].join(',')),
    '',
  ].join('\n');
  const json = {
    part: flags.part,
    class: className,
    shots: shotImages.map((i) => i.im.image),
    heldOut: rows.length,
    nodes: graphLoc.units,
    filter: filterLoc.units[0] ?? null,
    templateLayer: graph.layers[template.layer]?.name ?? null,
    error,
  };
  await ctx.outputs.write(join(flags.out, 'locate.csv'), csv);
  await ctx.outputs.write(join(flags.out, 'summary.json'), `${JSON.stringify(json, null, 2)}\n`);
  return {
    json,
    message: `graph locate ${flags.part}: ${shotImages.length} shots, ${rows.length} held out; mean normalised error graph ${error.graph.toFixed(4)}, best filter ${error.filter.toFixed(4)} (${error.filterWithPrior.toFixed(4)} with the prior), template ${error.template.toFixed(4)}, mean position ${error.mean.toFixed(4)} → ${flags.out}`,
  };
}
