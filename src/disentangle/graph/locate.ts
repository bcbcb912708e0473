/**
 * Few-shot part localisation with an explanatory graph (Zhang et al. 2018, "Interpreting CNN
 * Knowledge via an Explanatory Graph", https://arxiv.org/abs/1708.01785, §"part localization"):
 * a part is annotated on a few images; the units (graph nodes, or raw filters for the baseline)
 * whose positions best predict those annotations are picked; on a new image the part is where
 * they predict it.
 *
 * Choices the paper leaves open, ours:
 * - A unit predicts the part at its position plus its mean offset to the annotation over the shots.
 * - Only units that fired on every shot are candidates; they are ranked by the mean distance
 *   between that prediction and the annotation on the shots (ties: smaller index first), and the
 *   best `count` are kept (default 5 for nodes; the filter baseline uses 1).
 * - On a new image the part is the mean prediction of the kept units that fired there, weighted
 *   by 1 / (1 px + residual)² so that a unit that was exact on the shots outweighs a loose one;
 *   the mean annotated position when none fired (which is the mean-position baseline).
 * - The error is the distance to the true landmark divided by the input diagonal √(W² + H²), as
 *   in location instability.
 */
import { LucernaError } from '../../errors.js';

/** Positions of units (nodes or filters) on one image; a unit fired where `value` > 0. */
export interface UnitPositions {
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  readonly value: ArrayLike<number>;
}

/** One annotated image. */
export interface PartShot {
  readonly units: UnitPositions;
  /** The annotated part, model-input pixels `[x, y]`. */
  readonly part: readonly [number, number];
}

/** A fitted part locator. */
export interface PartLocator {
  /** The kept units, best first. */
  readonly units: readonly number[];
  /** Each kept unit's mean offset to the part. */
  readonly offsets: readonly (readonly [number, number])[];
  /** Their mean residual on the shots (pixels). */
  readonly residuals: readonly number[];
  /** The mean annotated position. */
  readonly fallback: readonly [number, number];
}

/**
 * Picks the `count` units that best predict the part on the shots.
 *
 * @example
 * ```ts
 * const loc = fitPartLocator(shots, 5);
 * locatePart(loc, unitsOnNewImage); // [x, y]
 * ```
 */
export function fitPartLocator(shots: readonly PartShot[], count = 5): PartLocator {
  if (shots.length === 0) throw new LucernaError('BAD_OPTION', 'Part localisation needs at least one annotated image');
  if (!Number.isInteger(count) || count < 1) throw new LucernaError('BAD_OPTION', `The number of units must be a positive integer, got ${count}`);
  const n = shots[0]?.units.value.length ?? 0;
  const fallback: [number, number] = [shots.reduce((s, t) => s + t.part[0], 0) / shots.length, shots.reduce((s, t) => s + t.part[1], 0) / shots.length];
  const ranked: { unit: number; offset: [number, number]; residual: number }[] = [];
  for (let u = 0; u < n; u++) {
    if (!shots.every((s) => (s.units.value[u] as number) > 0)) continue;
    const ox = shots.reduce((s, t) => s + t.part[0] - (t.units.x[u] as number), 0) / shots.length;
    const oy = shots.reduce((s, t) => s + t.part[1] - (t.units.y[u] as number), 0) / shots.length;
    const residual =
      shots.reduce((s, t) => s + Math.hypot((t.units.x[u] as number) + ox - t.part[0], (t.units.y[u] as number) + oy - t.part[1]), 0) / shots.length;
    ranked.push({ unit: u, offset: [ox, oy], residual });
  }
  ranked.sort((a, b) => a.residual - b.residual || a.unit - b.unit);
  const kept = ranked.slice(0, count);
  return { units: kept.map((k) => k.unit), offsets: kept.map((k) => k.offset), residuals: kept.map((k) => k.residual), fallback };
}

/**
 * Where the locator puts the part on an image.
 *
 * @example
 * ```ts
 * locatePart(fitPartLocator(shots, 1), units); // [x, y]
 * ```
 */
export function locatePart(locator: PartLocator, units: UnitPositions): [number, number] {
  let sx = 0;
  let sy = 0;
  let m = 0;
  locator.units.forEach((u, j) => {
    if (!((units.value[u] as number) > 0)) return;
    const o = locator.offsets[j] as readonly [number, number];
    const w = 1 / (1 + (locator.residuals[j] as number)) ** 2;
    sx += w * ((units.x[u] as number) + o[0]);
    sy += w * ((units.y[u] as number) + o[1]);
    m += w;
  });
  return m ? [sx / m, sy / m] : [locator.fallback[0], locator.fallback[1]];
}

/**
 * The normalised distance between a prediction and the truth.
 *
 * @example
 * ```ts
 * normalisedDistance([0, 0], [3, 4], [10, 10]); // 5 / √200
 * ```
 */
export function normalisedDistance(predicted: readonly [number, number], truth: readonly [number, number], inputSize: readonly [number, number]): number {
  return Math.hypot(predicted[0] - truth[0], predicted[1] - truth[1]) / Math.hypot(inputSize[0], inputSize[1]);
}
