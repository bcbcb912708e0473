/**
 * Geometry of the procedural parts data set: the three primitives figures are made of (ellipses,
 * capsules, triangles), point-in-shape tests, and the similarity transform that places a figure
 * (pose) in the image. Coordinates are continuous: x right, y down, pixel (px, py) covers
 * [px, px + 1) × [py, py + 1), so its centre is (px + 0.5, py + 0.5).
 */

/** A point [x, y]. */
export type Point = readonly [number, number];

/** A filled primitive, in the figure's canonical frame (facing right, y down, radius ≈ 1). */
export type Shape =
  | { readonly kind: 'ellipse'; readonly c: Point; readonly rx: number; readonly ry: number; readonly angle: number }
  | { readonly kind: 'capsule'; readonly a: Point; readonly b: Point; readonly r: number }
  | { readonly kind: 'triangle'; readonly p: readonly [Point, Point, Point] };

/**
 * An ellipse centred at `c` with radii `rx`, `ry`, turned by `angle` radians (clockwise on screen).
 *
 * @example
 * ```ts
 * const body = ellipse([0, 0], 0.5, 0.25);
 * ```
 */
export function ellipse(c: Point, rx: number, ry: number, angle = 0): Shape {
  return { kind: 'ellipse', c, rx, ry, angle };
}

/**
 * A segment from `a` to `b` thickened by `r` (a limb).
 *
 * @example
 * ```ts
 * const leg = capsule([0, 0.2], [0, 0.7], 0.05);
 * ```
 */
export function capsule(a: Point, b: Point, r: number): Shape {
  return { kind: 'capsule', a, b, r };
}

/**
 * A filled triangle (fins, beaks, tails).
 *
 * @example
 * ```ts
 * const beak = triangle([0.6, -0.3], [0.6, -0.2], [0.9, -0.25]);
 * ```
 */
export function triangle(a: Point, b: Point, c: Point): Shape {
  return { kind: 'triangle', p: [a, b, c] };
}

function cross(o: Point, a: Point, x: number, y: number): number {
  return (a[0] - o[0]) * (y - o[1]) - (a[1] - o[1]) * (x - o[0]);
}

/**
 * True when (x, y) lies inside the shape (boundary included).
 *
 * @example
 * ```ts
 * inside(ellipse([0, 0], 1, 0.5), 0.9, 0); // true
 * ```
 */
export function inside(shape: Shape, x: number, y: number): boolean {
  if (shape.kind === 'ellipse') {
    const dx = x - shape.c[0];
    const dy = y - shape.c[1];
    const cos = Math.cos(shape.angle);
    const sin = Math.sin(shape.angle);
    const u = (dx * cos + dy * sin) / shape.rx;
    const v = (-dx * sin + dy * cos) / shape.ry;
    return u * u + v * v <= 1;
  }
  if (shape.kind === 'capsule') {
    const [ax, ay] = shape.a;
    const ex = shape.b[0] - ax;
    const ey = shape.b[1] - ay;
    const len2 = ex * ex + ey * ey;
    const t = len2 > 0 ? Math.min(1, Math.max(0, ((x - ax) * ex + (y - ay) * ey) / len2)) : 0;
    return Math.hypot(x - ax - t * ex, y - ay - t * ey) <= shape.r;
  }
  const [a, b, c] = shape.p;
  const d1 = cross(a, b, x, y);
  const d2 = cross(b, c, x, y);
  const d3 = cross(c, a, x, y);
  return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
}

/** Where a figure stands: centre (image pixels), scale (image pixels per canonical unit), rotation (radians). */
export interface Placement {
  readonly cx: number;
  readonly cy: number;
  readonly scale: number;
  readonly rotation: number;
}

/**
 * Canonical → image coordinates.
 *
 * @example
 * ```ts
 * toImage({ cx: 32, cy: 32, scale: 20, rotation: 0 }, [1, 0]); // [52, 32]
 * ```
 */
export function toImage(p: Placement, q: Point): [number, number] {
  const cos = Math.cos(p.rotation);
  const sin = Math.sin(p.rotation);
  return [p.cx + p.scale * (q[0] * cos - q[1] * sin), p.cy + p.scale * (q[0] * sin + q[1] * cos)];
}

/**
 * Image → canonical coordinates (the inverse of {@link toImage}).
 *
 * @example
 * ```ts
 * toCanonical({ cx: 32, cy: 32, scale: 20, rotation: 0 }, [52, 32]); // [1, 0]
 * ```
 */
export function toCanonical(p: Placement, q: Point): [number, number] {
  const cos = Math.cos(p.rotation);
  const sin = Math.sin(p.rotation);
  const dx = (q[0] - p.cx) / p.scale;
  const dy = (q[1] - p.cy) / p.scale;
  return [dx * cos + dy * sin, -dx * sin + dy * cos];
}

/**
 * The mean of some points (the landmark of a part made of several pieces, such as four feet).
 *
 * @example
 * ```ts
 * mean([[0, 0], [2, 4]]); // [1, 2]
 * ```
 */
export function mean(points: readonly Point[]): Point {
  const n = points.length;
  return [points.reduce((s, p) => s + p[0], 0) / n, points.reduce((s, p) => s + p[1], 0) / n];
}
