/**
 * `lucerna stability <graph.json> --dataset <dir> [--model <file>] [--class <name>] [--batch-size 8]
 * [--out <dir>] [--json]`: the location instability of the nodes of an explanatory graph (Zhang et
 * al. 2018, "Interpreting CNN Knowledge via an Explanatory Graph", https://arxiv.org/abs/1708.01785,
 * Table 1), each node's inferred position in place of a filter's peak, beside the raw filters of the
 * same layers on the same images (the filter's maximum, cell-centre positions: the default
 * protocol). Each layer also gets `nodesAtFilterMaximum`: the nodes measured only where they hold
 * their filter's maximum (`atFilterMaximum`), the same evidence as the filter's. Only the default
 * protocol applies to nodes. `stability-run.ts` hands a graph here.
 */
import { join } from 'node:path';
import { inferNodePositions } from '../../disentangle/graph/infer.js';
import type { ImagePeaks } from '../../disentangle/graph/types.js';
import { LucernaError } from '../../errors.js';
import { atFilterMaximum, nodeInstability } from '../../metrics/graph-instability.js';
import { locationInstability } from '../../metrics/location-instability.js';
import type { CommandContext, CommandResult } from '../command.js';
import { parseInteger } from '../parse.js';
import { classImages, graphPeaks, openGraphModel, readGraph } from './graph-io.js';

/** Flags of the graph form of `lucerna stability`. */
export interface GraphStabilityFlags {
  readonly dataset: string;
  readonly model?: string;
  readonly class?: string;
  readonly protocol?: string;
  readonly batchSize?: string;
  readonly out?: string;
  readonly json?: boolean;
}

function mean(values: readonly (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null);
  return v.length ? v.reduce((s, x) => s + x, 0) / v.length : null;
}

function filterRecord(peaks: ImagePeaks, l: number) {
  const layer = peaks[l] ?? [];
  return { x: layer.map((f) => f.x[0] ?? 0), y: layer.map((f) => f.y[0] ?? 0), value: layer.map((f) => f.value[0] ?? 0) };
}

/**
 * Runs the graph form; per layer, the mean instability of its nodes and of its filters.
 *
 * @example
 * ```ts
 * const { json } = await runGraphStability(ctx, 'g/graph.json', { dataset: 'data/parts' });
 * ```
 */
export async function runGraphStability(ctx: CommandContext, graphPath: string, flags: GraphStabilityFlags): Promise<CommandResult> {
  if (flags.protocol !== undefined && flags.protocol !== 'default')
    throw new LucernaError('BAD_OPTION', 'Graph nodes are measured with the default protocol only', 'Leave out --protocol for a graph');
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
  const options = { width, height };
  const positions = peaks.map((p) => inferNodePositions(graph, p));
  const nodes = nodeInstability(
    positions.map((at, i) => ({ ...at, landmarks: images[i]?.landmarks ?? new Map() })),
    options,
  );
  const atMaximum = nodeInstability(
    positions.map((at, i) => ({
      ...atFilterMaximum(
        at,
        graph.nodes,
        (peaks[i] ?? []).map((layer) => layer.map((f) => f.value[0] ?? 0)),
      ),
      landmarks: images[i]?.landmarks ?? new Map(),
    })),
    options,
  );
  const layers = graph.layers.map((layer, l) => {
    const filters = locationInstability(
      peaks.map((p, i) => ({ ...filterRecord(p, l), landmarks: images[i]?.landmarks ?? new Map() })),
      options,
    );
    const ids = graph.nodes.filter((n) => n.layer === l).map((n) => n.id);
    return {
      layer: layer.name,
      nodes: mean(ids.map((id) => nodes.filters[id]?.instability ?? null)),
      nodesAtFilterMaximum: mean(ids.map((id) => atMaximum.filters[id]?.instability ?? null)),
      filters: filters.instability,
      nodeCount: ids.length,
      filterCount: layer.channels,
    };
  });
  const json = {
    graph: graphPath,
    class: className,
    images: images.length,
    layers,
    nodes: nodes.filters.map((f) => ({ node: f.filter, instability: f.instability, images: f.images })),
  };
  if (flags.out) {
    const csv = [
      'node,layer,filter,instability,images',
      ...graph.nodes.map(
        (n) => `${n.id},${graph.layers[n.layer]?.name},${n.filter},${nodes.filters[n.id]?.instability ?? ''},${nodes.filters[n.id]?.images ?? 0}`,
      ),
      '',
    ].join('\n');
    await ctx.outputs.write(join(flags.out, 'nodes.csv'), csv);
    await ctx.outputs.write(join(flags.out, 'summary.json'), `${JSON.stringify({ ...json, nodes: undefined }, null, 2)}\n`);
  }
  const f4 = (v: number | null) => (v === null ? 'null' : v.toFixed(4));
  return {
    json,
    message: `stability (graph nodes vs filters, ${images.length} images of ${className}): ${layers.map((l) => `${l.layer}: nodes ${f4(l.nodes)}, filters ${f4(l.filters)}`).join('; ')}`,
  };
}
