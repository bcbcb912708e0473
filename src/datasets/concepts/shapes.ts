/**
 * The shapes of the concept generator and their parts, as point-membership tests on a pixel grid.
 * A shape is centred at (cx, cy) with radius r and rotation θ. Parts:
 * - circle: `rim` (outer 20%), `centre` (inner 40%), `core` (inner 15%, inside the centre)
 * - square: `corner` (near each vertex), `centre`
 * - triangle: `corner` (near each vertex)
 * - star: `tip` (the five points), `centre`
 */

/** Object labels. */
export const SHAPES = ['circle', 'square', 'triangle', 'star'] as const;
export type Shape = (typeof SHAPES)[number];

/** Part labels; `core` lies inside `centre` (a part inside a part, on a second plane). */
export const PARTS = ['corner', 'tip', 'rim', 'centre', 'core'] as const;
export type Part = (typeof PARTS)[number];

/** A placed shape. */
export interface Placed {
  readonly shape: Shape;
  readonly cx: number;
  readonly cy: number;
  readonly r: number;
  readonly theta: number;
}

type Point = readonly [number, number];

function polygon(p: Placed): Point[] {
  const { shape, cx, cy, r, theta } = p;
  const at = (radius: number, angle: number): Point => [cx + radius * Math.cos(angle), cy + radius * Math.sin(angle)];
  if (shape === 'square') return [0, 1, 2, 3].map((k) => at(r, theta + Math.PI / 4 + (k * Math.PI) / 2));
  if (shape === 'triangle') return [0, 1, 2].map((k) => at(r, theta - Math.PI / 2 + (k * 2 * Math.PI) / 3));
  return Array.from({ length: 10 }, (_, k) => at(k % 2 ? 0.45 * r : r, theta - Math.PI / 2 + (k * Math.PI) / 5));
}

function insidePolygon(x: number, y: number, poly: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i] as Point;
    const [xj, yj] = poly[j] as Point;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Membership and part tests of a placed shape, with its polygon precomputed. */
export interface ShapeTest {
  /** True when the pixel centre (x + 0.5, y + 0.5) is inside. */
  inside(x: number, y: number): boolean;
  /** The pixel's part on plane 1 and plane 2 (undefined when none); call only inside. */
  parts(x: number, y: number): [Part | undefined, Part | undefined];
}

/**
 * The tests of a placed shape.
 *
 * @example
 * ```ts
 * const t = shapeTest({ shape: 'circle', cx: 20, cy: 20, r: 10, theta: 0 });
 * t.inside(20, 20); // true
 * t.parts(20, 20); // ['centre', 'core']
 * ```
 */
export function shapeTest(p: Placed): ShapeTest {
  const poly = p.shape === 'circle' ? [] : polygon(p);
  const corners = p.shape === 'star' ? poly.filter((_, k) => k % 2 === 0) : poly;
  const dist = (x: number, y: number) => Math.hypot(x + 0.5 - p.cx, y + 0.5 - p.cy);
  return {
    inside: (x, y) => (p.shape === 'circle' ? dist(x, y) <= p.r : insidePolygon(x + 0.5, y + 0.5, poly)),
    parts(x, y) {
      const d = dist(x, y) / p.r;
      if (p.shape === 'circle') return [d > 0.8 ? 'rim' : d <= 0.4 ? 'centre' : undefined, d <= 0.15 ? 'core' : undefined];
      if (p.shape === 'star') return [d > 0.62 ? 'tip' : d <= 0.3 ? 'centre' : undefined, undefined];
      const nearCorner = corners.some(([vx, vy]) => Math.hypot(x + 0.5 - vx, y + 0.5 - vy) <= 0.35 * p.r);
      if (nearCorner) return ['corner', undefined];
      return [p.shape === 'square' && d <= 0.3 ? 'centre' : undefined, undefined];
    },
  };
}
