/**
 * The layout of an explanatory graph (Zhang et al. 2018, "Interpreting CNN Knowledge via an
 * Explanatory Graph", https://arxiv.org/abs/1708.01785) for the studio's graph view: one row per
 * mined layer (the top layer first, as the paper draws it), nodes ordered within a row by ELK's
 * layered crossing reduction (the shared wrapper, src/render/layout/elk.ts), straight edges from a
 * parent to its child. Large graphs keep the
 * best-supported nodes of each layer so the picture stays readable; `hidden` says how many were
 * left out.
 *
 * Pure and isomorphic (no DOM): the view draws the result as SVG.
 */
import type { ExplanatoryGraph } from '../../disentangle/graph/types.js';
import { layoutLayered } from '../../render/layout/elk.js';

/** Options of {@link layoutGraph}. */
export interface GraphLayoutOptions {
  /** Nodes kept per layer, best-supported first (default 40). */
  readonly maxNodesPerLayer?: number;
  /** Drawn node diameter, px (default 18). */
  readonly nodeSize?: number;
  /** Gap between nodes of a row, px (default 10). */
  readonly nodeGap?: number;
  /** Distance between rows, px (default 90). */
  readonly rowGap?: number;
}

/** A placed node. */
export interface PlacedNode {
  readonly id: number;
  readonly layer: number;
  readonly filter: number;
  readonly support: number;
  readonly x: number;
  readonly y: number;
}

/** A placed edge, parent (above) to child (below). */
export interface PlacedEdge {
  readonly parent: number;
  readonly child: number;
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

/** What {@link layoutGraph} returns. */
export interface GraphLayout {
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly PlacedNode[];
  readonly edges: readonly PlacedEdge[];
  /** One entry per mined layer: its name and the y of its row. */
  readonly rows: readonly { readonly layer: number; readonly name: string; readonly y: number }[];
  /** Nodes left out by `maxNodesPerLayer`. */
  readonly hidden: number;
}

/**
 * The nodes shown: per layer, the `max` with the largest support (ties: lower id first).
 *
 * @example
 * ```ts
 * shownNodes(graph, 40).size; // ≤ 40 × graph.layers.length
 * ```
 */
export function shownNodes(graph: ExplanatoryGraph, max: number): Set<number> {
  const kept = new Set<number>();
  for (let layer = 0; layer < graph.layers.length; layer++) {
    const nodes = graph.nodes.filter((n) => n.layer === layer).sort((a, b) => b.support - a.support || a.id - b.id);
    for (const n of nodes.slice(0, max)) kept.add(n.id);
  }
  return kept;
}

/**
 * Lays out `graph` (see the module comment). Every node of a layer gets the same y (each layer is
 * one ELK partition); x comes from ELK's ordering, so nodes with shared parents sit together and
 * edges cross little.
 *
 * @example
 * ```ts
 * const layout = await layoutGraph(parseGraph(text, 'graph.json'), { maxNodesPerLayer: 30 });
 * ```
 */
export async function layoutGraph(graph: ExplanatoryGraph, options: GraphLayoutOptions = {}): Promise<GraphLayout> {
  const size = options.nodeSize ?? 18;
  const rowGap = options.rowGap ?? 90;
  const kept = shownNodes(graph, options.maxNodesPerLayer ?? 40);
  const top = graph.layers.length - 1;
  const nodes = graph.nodes.filter((n) => kept.has(n.id));
  const edges = graph.edges.filter((e) => kept.has(e.child) && kept.has(e.parent));
  const laid = await layoutLayered(
    nodes.map((n) => ({ id: n.id, width: size, height: size, partition: top - n.layer })),
    edges.map((e) => [e.parent, e.child] as const),
    { nodeGap: options.nodeGap ?? 10, rankGap: rowGap - size, edgeRouting: 'POLYLINE', padding: size },
  );
  const rowY = (layer: number) => size + (top - layer) * rowGap;
  const byId = new Map<number, PlacedNode>();
  let width = 0;
  for (const n of nodes) {
    const x = (laid.boxes.get(n.id)?.x ?? 0) + size / 2;
    width = Math.max(width, x + size);
    byId.set(n.id, { id: n.id, layer: n.layer, filter: n.filter, support: n.support, x, y: rowY(n.layer) });
  }
  const placed = [...byId.values()];
  return {
    width: Math.max(width, 2 * size),
    height: rowY(0) + size,
    nodes: placed,
    edges: edges.map((e) => {
      const p = byId.get(e.parent) as PlacedNode;
      const c = byId.get(e.child) as PlacedNode;
      return { parent: e.parent, child: e.child, x1: p.x, y1: p.y, x2: c.x, y2: c.y };
    }),
    rows: graph.layers.map((l, layer) => ({ layer, name: l.name, y: rowY(layer) })),
    hidden: graph.nodes.length - placed.length,
  };
}
