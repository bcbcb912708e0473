/**
 * The layered view of an explanatory graph (Zhang et al. 2018, "Interpreting CNN Knowledge via an
 * Explanatory Graph", https://arxiv.org/abs/1708.01785, Fig. 1 and 5): which nodes to show and
 * where, laid out by ELK's layered (Sugiyama) algorithm (the shared wrapper, src/render/layout/elk.ts).
 *
 * Choices, ours:
 * - A whole graph has thousands of nodes; the view shows `perLayer` nodes per layer: in the top
 *   layer those that fired on the most images (ties: lower id); below, the children of the shown
 *   nodes first (most shown parents, then support), so that the drawn hierarchy stays connected;
 *   and the edges between shown nodes.
 * - The top conv layer is drawn at the top, as in the paper; each graph layer is one ELK partition,
 *   so a node without a shown edge still sits in its layer's row. Edges run parent → child.
 */
import { layoutLayered } from '../../render/layout/elk.js';
import type { ExplanatoryGraph, GraphEdge, GraphNode } from './types.js';

/** The nodes and edges a view shows. */
export interface GraphViewSelection {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

/** A laid-out node: its box, top-left corner. */
export interface NodeBox {
  readonly id: number;
  readonly x: number;
  readonly y: number;
}

/** A laid-out edge: its polyline from the parent to the child. */
export interface EdgePath {
  readonly child: number;
  readonly parent: number;
  readonly points: readonly (readonly [number, number])[];
}

/** The whole layout. */
export interface GraphLayout {
  readonly width: number;
  readonly height: number;
  readonly nodeWidth: number;
  readonly nodeHeight: number;
  readonly nodes: readonly NodeBox[];
  readonly edges: readonly EdgePath[];
}

/**
 * `perLayer` nodes of each layer (the top layer's best-supported, then their children) and the edges among them.
 *
 * @example
 * ```ts
 * const view = selectView(graph, 8);
 * view.nodes.length; // ≤ 8 × graph.layers.length
 * ```
 */
export function selectView(graph: ExplanatoryGraph, perLayer: number): GraphViewSelection {
  const shown = new Set<number>();
  const parentsOf = new Map<number, number[]>();
  for (const e of graph.edges) parentsOf.set(e.child, [...(parentsOf.get(e.child) ?? []), e.parent]);
  const bySupport = (a: GraphNode, b: GraphNode) => b.support - a.support || a.id - b.id;
  const rows: GraphNode[][] = [];
  for (let l = graph.layers.length - 1; l >= 0; l--) {
    const layer = graph.nodes.filter((n) => n.layer === l);
    const linked = (n: GraphNode) => (parentsOf.get(n.id) ?? []).filter((p) => shown.has(p)).length;
    // Below the top, children of the shown nodes first (most shown parents, then support), so the view stays connected.
    const ranked = layer.sort((a, b) => linked(b) - linked(a) || bySupport(a, b)).slice(0, perLayer);
    for (const n of ranked) shown.add(n.id);
    rows[l] = ranked;
  }
  const nodes = rows.flat();
  return { nodes, edges: graph.edges.filter((e) => shown.has(e.child) && shown.has(e.parent)) };
}

/**
 * Lays out a selection with ELK's layered algorithm, top layer first, every node a
 * `nodeWidth` × `nodeHeight` box.
 *
 * @example
 * ```ts
 * const layout = await layoutView(selectView(graph, 8), graph.layers.length, 180, 90);
 * layout.nodes[0]; // { id, x, y }
 * ```
 */
export async function layoutView(selection: GraphViewSelection, layers: number, nodeWidth: number, nodeHeight: number): Promise<GraphLayout> {
  const boxes = selection.nodes.map((n) => ({ id: n.id, width: nodeWidth, height: nodeHeight, partition: layers - 1 - n.layer }));
  const links = selection.edges.map((e) => [e.parent, e.child] as const);
  const l = await layoutLayered(boxes, links, { nodeGap: 18, rankGap: 56, edgeRouting: 'SPLINES' });
  const nodes = [...l.boxes].map(([id, at]) => ({ id, x: at.x, y: at.y }));
  const edges = l.edges.map((e) => ({ child: e.to, parent: e.from, points: e.points.map((p) => [p.x, p.y] as [number, number]) }));
  return { width: l.width, height: l.height, nodeWidth, nodeHeight, nodes, edges };
}
