/**
 * Layered layout of a drawn tree by ELK (elkjs 0.12.1, https://github.com/kieler/elkjs, the same
 * library as the explanatory-graph view; loaded on first use): node boxes of given sizes, top to
 * bottom, edges as polylines, through the shared ELK wrapper (../layout/elk.ts). Pure (no DOM,
 * no `node:*`).
 */
import { layoutLayered } from '../layout/elk.js';

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
  const l = await layoutLayered(boxes, edges, { nodeGap: spacing.node, rankGap: spacing.rank });
  const placed = new Map<number, { x: number; y: number; width: number; height: number }>();
  for (const b of boxes) {
    const at = l.boxes.get(b.id);
    if (at) placed.set(b.id, { x: at.x + b.width / 2, y: at.y + b.height / 2, width: b.width, height: b.height });
  }
  return { width: l.width, height: l.height, boxes: placed, edges: l.edges };
}
