/**
 * The work of `lucerna graph report <graph.json> --dataset <dir> --out report.html [--model <file>]
 * [--class <name>] [--nodes 8] [--batch-size 8] [--json]`: streams the class's images through the
 * graph's model, places every node on every image (the graph's inference), picks the
 * best-supported nodes of each layer, lays them out (ELK, `layout.ts`) and writes the page
 * (`report-html.ts`). A node's patches are the squares around its position on the images where
 * it fires most, about 2.5 cells of its layer wide. Loaded by `graph-report.ts` when the command runs.
 */
import { resolve } from 'node:path';
import { inferNodePositions } from '../../disentangle/graph/infer.js';
import { layoutView, selectView } from '../../disentangle/graph/layout.js';
import { graphReportHtml, type NodeExample, type NodeVisual } from '../../disentangle/graph/report-html.js';
import type { ExplanatoryGraph, NodePositions } from '../../disentangle/graph/types.js';
import { LucernaError } from '../../errors.js';
import { cropSquare, decodeRgb, encodeRgbPng, type RgbImage, resizeRgb } from '../../io/image.js';
import type { InlineImage } from '../../render/report/types.js';
import { throwIfCancelled } from '../../visualization/optimize.js';
import type { CommandContext, CommandResult } from '../command.js';
import { parseInteger } from '../parse.js';
import { type ClassImage, classImages, graphPeaks, openGraphModel, readGraph } from './graph-io.js';

/** Flags of `lucerna graph report`. */
export interface GraphReportFlags {
  readonly dataset: string;
  readonly out: string;
  readonly model?: string;
  readonly class?: string;
  readonly nodes?: string;
  readonly batchSize?: string;
  readonly json?: boolean;
}

const PATCHES = 3;
const EXAMPLES = 2;
const THUMB = 112;

async function inline(rgb: Uint8Array, width: number, height: number): Promise<InlineImage> {
  const png = await encodeRgbPng(rgb, width, height);
  return { png: `data:image/png;base64,${Buffer.from(png).toString('base64')}`, width, height };
}

/** Images where `id` fired, strongest first. */
function bestImages(positions: readonly NodePositions[], id: number, count: number): number[] {
  return positions
    .map((p, i) => ({ i, v: p.value[id] as number }))
    .filter((e) => e.v > 0)
    .sort((a, b) => b.v - a.v || a.i - b.i)
    .slice(0, count)
    .map((e) => e.i);
}

function at(p: NodePositions, id: number): [number, number] | null {
  return (p.value[id] as number) > 0 ? [p.x[id] as number, p.y[id] as number] : null;
}

async function nodeVisuals(
  graph: ExplanatoryGraph,
  ids: readonly number[],
  relatives: ReadonlyMap<number, { parents: number[]; children: number[] }>,
  images: readonly ClassImage[],
  positions: readonly NodePositions[],
  signal: AbortSignal,
): Promise<Map<number, NodeVisual>> {
  const [H, W] = graph.inputSize;
  const pixels = new Map<number, RgbImage>();
  const thumbs = new Map<number, InlineImage>();
  const rgbOf = async (i: number) => {
    let hit = pixels.get(i);
    if (!hit) {
      hit = await resizeRgb(await decodeRgb((images[i] as ClassImage).path), W, H, 'stretch');
      pixels.set(i, hit);
    }
    return hit;
  };
  const thumbOf = async (i: number) => {
    let hit = thumbs.get(i);
    if (!hit) {
      const side = Math.min(THUMB, W);
      const small = await resizeRgb(await rgbOf(i), side, Math.round((side * H) / W), 'stretch');
      hit = await inline(small.rgb, small.width, small.height);
      thumbs.set(i, hit);
    }
    return hit;
  };
  const out = new Map<number, NodeVisual>();
  for (const id of ids) {
    throwIfCancelled(signal);
    const node = graph.nodes[id];
    const layer = graph.layers[node?.layer ?? 0];
    const side = Math.max(8, Math.round((2.5 * H) / (layer?.height ?? 1)));
    const best = bestImages(positions, id, PATCHES);
    const patches: InlineImage[] = [];
    for (const i of best) {
      const [x, y] = at(positions[i] as NodePositions, id) as [number, number];
      const s = Math.min(side, W, H);
      patches.push(await inline(cropSquare(await rgbOf(i), x, y, s), s, s));
    }
    const rel = relatives.get(id) ?? { parents: [], children: [] };
    const examples: NodeExample[] = [];
    for (const i of best.slice(0, EXAMPLES)) {
      const p = positions[i] as NodePositions;
      const present = (list: number[]) => list.map((k) => at(p, k)).filter((q): q is [number, number] => q !== null);
      examples.push({
        image: await thumbOf(i),
        name: (images[i] as ClassImage).image,
        node: at(p, id) as [number, number],
        parents: present(rel.parents),
        children: present(rel.children),
      });
    }
    out.set(id, { id, patches, examples });
  }
  return out;
}

/**
 * Runs the command; writes the page and returns the summary.
 *
 * @example
 * ```ts
 * const { json } = await runGraphReport(ctx, 'g/graph.json', { dataset: 'data/parts', out: 'g/report.html' });
 * ```
 */
export async function runGraphReport(ctx: CommandContext, graphPath: string, flags: GraphReportFlags): Promise<CommandResult> {
  const perLayer = parseInteger(flags.nodes, '--nodes', 1) ?? 8;
  const batchSize = parseInteger(flags.batchSize, '--batch-size', 1) ?? 8;
  const t0 = performance.now();
  const graph = await readGraph(graphPath);
  const className = flags.class ?? graph.class;
  if (className === undefined) throw new LucernaError('BAD_OPTION', 'The graph records no class', 'Pass --class');
  const { opened: graphModel, preprocessing } = await openGraphModel(graph, flags.model, 'lucerna graph report');
  await using opened = graphModel;
  const images = await classImages(flags.dataset, className, 1, opened.model, preprocessing);
  const peaks = await graphPeaks(ctx, 'graph report', graph, opened.model, images, preprocessing, batchSize, flags.json);
  const positions = peaks.map((p) => inferNodePositions(graph, p));
  const selection = selectView(graph, perLayer);
  const relatives = new Map(selection.nodes.map((n) => [n.id, { parents: [] as number[], children: [] as number[] }]));
  for (const e of selection.edges) {
    relatives.get(e.child)?.parents.push(e.parent);
    relatives.get(e.parent)?.children.push(e.child);
  }
  const layout = await layoutView(selection, graph.layers.length, PATCHES * 44 + 4, 66);
  const visuals = await nodeVisuals(
    graph,
    selection.nodes.map((n) => n.id),
    relatives,
    images,
    positions,
    ctx.signal,
  );
  const html = graphReportHtml({ graph, layout, visuals, images: images.length });
  const out = resolve(flags.out);
  await ctx.outputs.write(out, html);
  const seconds = (performance.now() - t0) / 1000;
  const json = {
    report: out,
    images: images.length,
    shownNodes: selection.nodes.length,
    shownEdges: selection.edges.length,
    seconds: Math.round(seconds * 10) / 10,
  };
  return {
    json,
    message: `graph report: ${selection.nodes.length} nodes and ${selection.edges.length} edges drawn from ${images.length} images of ${className} → ${out} (${seconds.toFixed(1)} s)`,
  };
}
