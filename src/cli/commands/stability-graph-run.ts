/**
 * `lucerna stability <graph.json> --dataset <dir> [--model <file>] [--class <name>]
 * [--protocol graph|default] [--top-images 20] [--top-units N] [--batch-size 8] [--out <dir>] [--json]`:
 * the location instability of the nodes of an explanatory graph (Zhang et al. 2018, "Interpreting
 * CNN Knowledge via an Explanatory Graph", https://arxiv.org/abs/1708.01785, Table 1) beside the
 * raw filters of the same layers on the same images. `stability-run.ts` hands a graph here.
 *
 * Protocols:
 * - `graph` (the default): the paper's, as its authors' evaluation code runs it
 *   (`src/metrics/graph-protocol.ts`): per layer, the `--top-units` best-ranked units (default: as
 *   many as the layer has filters, so every filter and the same number of nodes), each measured on
 *   its `--top-images` (20) images of largest score; a filter's score is its maximum, a node's its
 *   inference score (`nodeScores`), a node's position the one the graph infers.
 * - `default`: issue #15's definition (every image where the unit fires; a filter's maximum, a
 *   node's inferred position). Each layer then also gets `nodesAtFilterMaximum`: the nodes measured
 *   only where they hold their filter's maximum (`atFilterMaximum`), the filter's own evidence.
 * The other protocol's numbers are in `summary.json` and the JSON too (`layers[].other`).
 */
import { join } from 'node:path';
import { inferNodePositions, nodeScores } from '../../disentangle/graph/infer.js';
import type { ExplanatoryGraph, ImagePeaks, NodePositions } from '../../disentangle/graph/types.js';
import { LucernaError } from '../../errors.js';
import { atFilterMaximum, nodeInstability } from '../../metrics/graph-instability.js';
import { graphProtocolInstability, type ScoredUnits } from '../../metrics/graph-protocol.js';
import { locationInstability } from '../../metrics/location-instability.js';
import type { CommandContext, CommandResult } from '../command.js';
import { parseChoice, parseInteger } from '../parse.js';
import { classImages, graphPeaks, openGraphModel, readGraph } from './graph-io.js';
import type { StabilityFlags } from './stability-run.js';

/** Flags of the graph form of `lucerna stability`: those of the layer form but `--layer` (the graph names its layers). */
export type GraphStabilityFlags = Omit<StabilityFlags, 'layer'>;

type Landmarks = ReadonlyMap<string, readonly [number, number]>;

function mean(values: readonly (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null);
  return v.length ? v.reduce((s, x) => s + x, 0) / v.length : null;
}

function filterRecord(peaks: ImagePeaks, l: number) {
  const layer = peaks[l] ?? [];
  return { x: layer.map((f) => f.x[0] ?? 0), y: layer.map((f) => f.y[0] ?? 0), value: layer.map((f) => f.value[0] ?? 0) };
}

const pick = (a: ArrayLike<number>, ids: readonly number[]) => Float64Array.from(ids, (id) => a[id] as number);

/** Issue #15's definition per layer: nodes and filters on every image where they fire. */
function everyImage(
  graph: ExplanatoryGraph,
  peaks: readonly ImagePeaks[],
  positions: readonly NodePositions[],
  landmarks: Landmarks[],
  options: { width: number; height: number },
) {
  const nodes = nodeInstability(
    positions.map((at, i) => ({ ...at, landmarks: landmarks[i] as Landmarks })),
    options,
  );
  const maxima = (i: number) => (peaks[i] ?? []).map((layer) => layer.map((f) => f.value[0] ?? 0));
  const atMaximum = nodeInstability(
    positions.map((at, i) => ({ ...atFilterMaximum(at, graph.nodes, maxima(i)), landmarks: landmarks[i] as Landmarks })),
    options,
  );
  const layers = graph.layers.map((_, l) => {
    const ids = graph.nodes.filter((n) => n.layer === l).map((n) => n.id);
    const filters = locationInstability(
      peaks.map((p, i) => ({ ...filterRecord(p, l), landmarks: landmarks[i] as Landmarks })),
      options,
    );
    return {
      nodes: mean(ids.map((id) => nodes.filters[id]?.instability ?? null)),
      nodesAtFilterMaximum: mean(ids.map((id) => atMaximum.filters[id]?.instability ?? null)),
      filters: filters.instability,
    };
  });
  return { layers, perNode: nodes.filters.map((f) => f.instability) };
}

/** The paper's protocol per layer (`graph-protocol.ts`). */
function paperProtocol(
  graph: ExplanatoryGraph,
  peaks: readonly ImagePeaks[],
  positions: readonly NodePositions[],
  landmarks: Landmarks[],
  options: { width: number; height: number; topImages: number; topUnits: number | undefined },
) {
  const scores = peaks.map((p, i) => nodeScores(graph, p, positions[i]));
  const perNode = new Array<number | null>(graph.nodes.length).fill(null);
  const layers = graph.layers.map((layer, l) => {
    const ids = graph.nodes.filter((n) => n.layer === l).map((n) => n.id);
    const topUnits = options.topUnits ?? layer.channels;
    const size = { width: options.width, height: options.height, topImages: options.topImages };
    const nodeImages: ScoredUnits[] = positions.map((at, i) => ({
      x: pick(at.x, ids),
      y: pick(at.y, ids),
      score: pick(scores[i] as Float64Array, ids),
      landmarks: landmarks[i] as Landmarks,
    }));
    const nodes = graphProtocolInstability(nodeImages, { ...size, topUnits: Math.min(topUnits, Math.max(1, ids.length)) });
    nodes.units.forEach((u) => {
      perNode[ids[u.unit] as number] = u.instability;
    });
    const filterImages: ScoredUnits[] = peaks.map((p, i) => {
      const r = filterRecord(p, l);
      return { x: r.x, y: r.y, score: r.value, landmarks: landmarks[i] as Landmarks };
    });
    const filters = graphProtocolInstability(filterImages, { ...size, topUnits: Math.min(topUnits, layer.channels) });
    const measured = (r: typeof nodes) => r.units.filter((u) => u.instability !== null).length;
    return { nodes: nodes.instability, filters: filters.instability, measuredNodes: measured(nodes), measuredFilters: measured(filters) };
  });
  return { layers, perNode };
}

/**
 * Runs the graph form; per layer, the instability of its nodes and of its filters.
 *
 * @example
 * ```ts
 * const { json } = await runGraphStability(ctx, 'g/graph.json', { dataset: 'data/parts' });
 * ```
 */
export async function runGraphStability(ctx: CommandContext, graphPath: string, flags: GraphStabilityFlags): Promise<CommandResult> {
  const protocol = parseChoice(flags.protocol, '--protocol', ['graph', 'default', 'icnn'] as const) ?? 'graph';
  if (protocol === 'icnn')
    throw new LucernaError('BAD_OPTION', 'Graph nodes are measured with the graph or the default protocol only', 'Leave out --protocol icnn for a graph');
  if (flags.selectRatio !== undefined) throw new LucernaError('BAD_OPTION', '--select-ratio is for the icnn protocol', 'Use --top-units for a graph');
  const topImages = parseInteger(flags.topImages, '--top-images', 1) ?? 20;
  const topUnits = parseInteger(flags.topUnits, '--top-units', 1);
  const batchSize = parseInteger(flags.batchSize, '--batch-size', 1) ?? 8;
  const graph = await readGraph(graphPath);
  const className = flags.class ?? graph.class;
  if (className === undefined) throw new LucernaError('BAD_OPTION', 'The graph records no class', 'Pass --class');
  const { opened: graphModel, preprocessing } = await openGraphModel(graph, flags.model, 'lucerna stability');
  await using opened = graphModel;
  const { model } = opened;
  const [height, width] = preprocessing.size;
  const images = await classImages(flags.dataset, className, 2, model, preprocessing);
  const peaks = await graphPeaks(ctx, 'stability', graph, model, images, preprocessing, batchSize, flags.json);
  const positions = peaks.map((p) => inferNodePositions(graph, p));
  const landmarks = images.map((im) => im.landmarks as Landmarks);
  const paper = paperProtocol(graph, peaks, positions, landmarks, { width, height, topImages, topUnits });
  const every = everyImage(graph, peaks, positions, landmarks, { width, height });
  const main = protocol === 'graph' ? paper : every;
  const layers = graph.layers.map((layer, l) => {
    const p = paper.layers[l] as (typeof paper.layers)[number];
    const e = every.layers[l] as (typeof every.layers)[number];
    const ids = graph.nodes.filter((n) => n.layer === l).map((n) => n.id);
    const counts = { nodeCount: ids.length, filterCount: layer.channels };
    return protocol === 'graph'
      ? {
          layer: layer.name,
          nodes: p.nodes,
          filters: p.filters,
          ...counts,
          measuredNodes: p.measuredNodes,
          measuredFilters: p.measuredFilters,
          other: { protocol: 'default', ...e },
        }
      : { layer: layer.name, nodes: e.nodes, filters: e.filters, nodesAtFilterMaximum: e.nodesAtFilterMaximum, ...counts, other: { protocol: 'graph', ...p } };
  });
  const json = {
    graph: graphPath,
    class: className,
    images: images.length,
    protocol,
    ...(protocol === 'graph' ? { topImages } : {}),
    layers,
    nodes: graph.nodes.map((n) => ({ node: n.id, instability: main.perNode[n.id] ?? null })),
  };
  if (flags.out) {
    const cell = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
    const csv = [
      'node,layer,filter,instability_graph,instability_default',
      ...graph.nodes.map((n) => `${n.id},${graph.layers[n.layer]?.name},${n.filter},${cell(paper.perNode[n.id])},${cell(every.perNode[n.id])}`),
      '',
    ].join('\n');
    await ctx.outputs.write(join(flags.out, 'nodes.csv'), csv);
    await ctx.outputs.write(join(flags.out, 'summary.json'), `${JSON.stringify({ ...json, nodes: undefined }, null, 2)}\n`);
  }
  const f4 = (v: number | null) => (v === null ? 'null' : v.toFixed(4));
  return {
    json,
    message: `stability (${protocol} protocol; graph nodes vs filters, ${images.length} images of ${className}): ${layers.map((l) => `${l.layer}: nodes ${f4(l.nodes)}, filters ${f4(l.filters)}`).join('; ')}`,
  };
}
