/**
 * Layered (Sugiyama) layout by ELK (elkjs 0.12.1, https://github.com/kieler/elkjs; Sugiyama et al.
 * 1981, "Methods for Visual Understanding of Hierarchical System Structures",
 * https://doi.org/10.1109/TSMC.1981.4308636), loaded on first use: boxes of given sizes, top to
 * bottom, edges as polylines. The one ELK wrapper of the project: the explanatory-graph report,
 * the decision-tree report and the studio's graph view all lay out through it.
 *
 * Pure and isomorphic (no DOM, no `node:*`): the studio bundles it for the browser.
 */

/** A box to place; `partition` (optional) pins it to a row band: lower partitions above higher ones. */
export interface LayeredBox {
  readonly id: number;
  readonly width: number;
  readonly height: number;
  readonly partition?: number;
}

/** Options of {@link layoutLayered}. */
export interface LayeredOptions {
  /** Gap between boxes of a row, px. */
  readonly nodeGap: number;
  /** Gap between rows, px. */
  readonly rankGap: number;
  /** How edges are routed (default orthogonal). */
  readonly edgeRouting?: 'ORTHOGONAL' | 'POLYLINE' | 'SPLINES';
  /** Margin around the drawing, px (default 8). */
  readonly padding?: number;
}

/** The placed boxes (top-left corners) and edges, in a `width × height` frame. */
export interface LayeredLayout {
  readonly width: number;
  readonly height: number;
  readonly boxes: ReadonlyMap<number, { readonly x: number; readonly y: number }>;
  /** One per input edge, in order: its polyline from `from` to `to` (empty if ELK routed none). */
  readonly edges: readonly { readonly from: number; readonly to: number; readonly points: readonly { x: number; y: number }[] }[];
}

interface ElkPoint {
  readonly x: number;
  readonly y: number;
}
interface ElkResult {
  readonly width?: number;
  readonly height?: number;
  readonly children?: readonly { id: string; x?: number; y?: number }[];
  readonly edges?: readonly { id: string; sections?: readonly { startPoint: ElkPoint; endPoint: ElkPoint; bendPoints?: readonly ElkPoint[] }[] }[];
}

/** The ELK constructor: a CommonJS module whose exports object is the constructor, with itself as `default` too. */
async function loadElk(): Promise<new () => { layout(graph: object): Promise<unknown> }> {
  const mod: { default: unknown } = await import('elkjs/lib/elk.bundled.js');
  // Node's interop gives the exports object as `default`; a bundler's may give the constructor itself.
  return ((mod.default as { default?: unknown }).default ?? mod.default) as new () => { layout(graph: object): Promise<unknown> };
}

/**
 * Lays out `boxes` and `[from, to]` edges top-down with ELK's layered algorithm. With partitions,
 * every box keeps its partition's band and disconnected parts share the rows instead of being
 * packed side by side.
 *
 * @example
 * ```ts
 * const l = await layoutLayered([{ id: 2, width: 80, height: 40 }, { id: 0, width: 80, height: 40 }], [[2, 0]], { nodeGap: 16, rankGap: 36 });
 * l.boxes.get(0)?.y; // below node 2
 * ```
 */
export async function layoutLayered(
  boxes: readonly LayeredBox[],
  edges: readonly (readonly [number, number])[],
  options: LayeredOptions,
): Promise<LayeredLayout> {
  const ELK = await loadElk();
  const partitioned = boxes.some((b) => b.partition !== undefined);
  const pad = options.padding ?? 8;
  const result = (await new ELK().layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.edgeRouting': options.edgeRouting ?? 'ORTHOGONAL',
      'elk.spacing.nodeNode': String(options.nodeGap),
      'elk.layered.spacing.nodeNodeBetweenLayers': String(options.rankGap),
      'elk.padding': `[top=${pad},left=${pad},bottom=${pad},right=${pad}]`,
      ...(partitioned ? { 'elk.partitioning.activate': 'true', 'elk.separateConnectedComponents': 'false' } : {}),
    },
    children: boxes.map((b) => ({
      id: `n${b.id}`,
      width: b.width,
      height: b.height,
      ...(b.partition === undefined ? {} : { layoutOptions: { 'elk.partitioning.partition': String(b.partition) } }),
    })),
    edges: edges.map(([from, to], i) => ({ id: `e${i}`, sources: [`n${from}`], targets: [`n${to}`] })),
  })) as ElkResult;
  const placed = new Map((result.children ?? []).map((c) => [Number(c.id.slice(1)), { x: c.x ?? 0, y: c.y ?? 0 }]));
  const routes = new Map((result.edges ?? []).map((e) => [e.id, e.sections?.[0]]));
  return {
    width: result.width ?? 0,
    height: result.height ?? 0,
    boxes: placed,
    edges: edges.map(([from, to], i) => {
      const s = routes.get(`e${i}`);
      return { from, to, points: s ? [s.startPoint, ...(s.bendPoints ?? []), s.endPoint].map((p) => ({ x: p.x, y: p.y })) : [] };
    }),
  };
}
