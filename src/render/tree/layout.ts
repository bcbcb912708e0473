/**
 * Layered layout of a drawn tree by ELK (elkjs 0.12.1, https://github.com/kieler/elkjs, the same
 * library as the explanatory-graph view; loaded on first use): node boxes of given sizes, top to
 * bottom, edges as polylines. Pure (no DOM, no `node:*`).
 */

/** A box to place. */
export interface LayoutBox {
  readonly id: number;
  readonly width: number;
  readonly height: number;
}

/** Placed boxes (centres) and edges, in a `width × height` frame. */
export interface TreeLayout {
  readonly width: number;
  readonly height: number;
  readonly boxes: ReadonlyMap<number, { readonly x: number; readonly y: number; readonly width: number; readonly height: number }>;
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

/**
 * Lays out boxes and parent → child edges top-down (ELK layered, orthogonal edges).
 *
 * @example
 * ```ts
 * const l = await layoutTree([{ id: 2, width: 80, height: 40 }, { id: 0, width: 80, height: 40 }], [[2, 0]]);
 * l.boxes.get(0)?.y; // below node 2
 * ```
 */
export async function layoutTree(
  boxes: readonly LayoutBox[],
  edges: readonly (readonly [number, number])[],
  spacing = { node: 16, rank: 36 },
): Promise<TreeLayout> {
  // A CommonJS module: its exports object is the constructor, with itself as `default` too.
  const ELK = (await import('elkjs/lib/elk.bundled.js')).default.default;
  const result = (await new ELK().layout({
    id: 'tree',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.spacing.nodeNode': String(spacing.node),
      'elk.layered.spacing.nodeNodeBetweenLayers': String(spacing.rank),
      'elk.padding': '[top=8,left=8,bottom=8,right=8]',
    },
    children: boxes.map((b) => ({ id: `n${b.id}`, width: b.width, height: b.height })),
    edges: edges.map(([from, to], i) => ({ id: `e${i}`, sources: [`n${from}`], targets: [`n${to}`] })),
  })) as ElkResult;
  const size = new Map(boxes.map((b) => [b.id, b]));
  const placed = new Map<number, { x: number; y: number; width: number; height: number }>();
  for (const c of result.children ?? []) {
    const id = Number(c.id.slice(1));
    const b = size.get(id);
    if (b) placed.set(id, { x: (c.x ?? 0) + b.width / 2, y: (c.y ?? 0) + b.height / 2, width: b.width, height: b.height });
  }
  return {
    width: result.width ?? 0,
    height: result.height ?? 0,
    boxes: placed,
    edges: edges.map(([from, to], i) => {
      const s = result.edges?.find((e) => e.id === `e${i}`)?.sections?.[0];
      return { from, to, points: s ? [s.startPoint, ...(s.bendPoints ?? []), s.endPoint].map((p) => ({ x: p.x, y: p.y })) : [] };
    }),
  };
}
