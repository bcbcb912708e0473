/**
 * Where a top patch (Zeiler & Fergus 2014, https://arxiv.org/abs/1311.2901) is cut from its
 * picture for the units view: a square a quarter of the picture's short side, centred on the
 * unit's peak but slid back inside the picture near an edge, so a patch never shows a margin
 * outside the image. Pure and isomorphic.
 */
import type { Point } from '../../disentangle/qa/types.js';

/** A CSS background that shows one square window of a picture in a `box`-px square. */
export interface PatchWindow {
  /** `background-size`, px: the whole picture at the patch's zoom. */
  readonly size: Point;
  /** `background-position`, px (≤ 0): minus the window's top-left corner at that zoom. */
  readonly position: Point;
}

/**
 * The window around `at` (image px) of a picture of natural size `[width, height]`, shown in a
 * `box`-px square.
 *
 * @example
 * ```ts
 * patchWindow([64, 64], [2, 60], 64); // { size: [256, 256], position: [0, -192] }: slid inside at the corner
 * ```
 */
export function patchWindow([width, height]: Point, [x, y]: Point, box: number): PatchWindow {
  const side = Math.min(width, height) / 4;
  const zoom = box / side;
  const corner = (centre: number, extent: number) => Math.min(Math.max(centre - side / 2, 0), extent - side) * zoom;
  return { size: [width * zoom, height * zoom], position: [0 - corner(x, width), 0 - corner(y, height)] };
}
