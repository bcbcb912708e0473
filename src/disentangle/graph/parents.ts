/**
 * The M-step's choice of parents for the explanatory graph (Zhang et al. 2018, "Interpreting CNN
 * Knowledge via an Explanatory Graph", https://arxiv.org/abs/1708.01785): each node of a layer
 * keeps the nodes of the layer above that sit at the most stable displacement from it.
 *
 * The rule (documented with the other choices in `fit.ts`): among the nodes U of the layer above
 * that fired with V on ≥ 2 images, Δ_UV is the mean of p_V − p_U and σ²_UV its variance (floored);
 * U's fit is the mean over V's images of log N(p_V − p_U; Δ_UV, σ²_UV·I), an image where U did not
 * fire counting as a point at the gate radius; the `parents` best fits are kept (ties: lower index).
 *
 * Speed: nodes fire on few images and each image has a few fired nodes above, so the candidates U
 * are gathered from the images V fired on (a sparse list per image, built once per layer) instead
 * of testing every U of the layer above on every image: the cost is Σ_V Σ_{i: V fired} |fired
 * above on i| rather than |V| · |U| · images. One pass gathers Σd and Σ|d|² per U; the sum of
 * squared deviations is Σ|d|² − n|mean|² (displacements are pixels, at most a few hundred, so the
 * cancellation costs nothing against the variance floor).
 */
import type { WorkEdge } from './assign.js';
import type { NodePositions } from './types.js';

/** Per-layer working state of {@link fitParents}: the layer above's positions and scratch space. */
export interface ParentPool {
  readonly above: readonly NodePositions[];
  /** Per image, the indices of the nodes above that fired there (ascending). */
  readonly firedAbove: readonly Int32Array[];
  readonly count: Int32Array;
  readonly sx: Float64Array;
  readonly sy: Float64Array;
  readonly ss: Float64Array;
}

/**
 * The scratch state for choosing parents among the nodes of `above` (their positions per image).
 *
 * @example
 * ```ts
 * const pool = parentPool(abovePositions);
 * fitParents(pool, 3, firedImages, positions, { parents: 15, gate: 3 }, floor);
 * ```
 */
export function parentPool(above: readonly NodePositions[]): ParentPool {
  const n = above[0]?.value.length ?? 0;
  const firedAbove = above.map((p) => {
    const list: number[] = [];
    for (let u = 0; u < n; u++) if ((p.value[u] as number) > 0) list.push(u);
    return Int32Array.from(list);
  });
  return { above, firedAbove, count: new Int32Array(n), sx: new Float64Array(n), sy: new Float64Array(n), ss: new Float64Array(n) };
}

/**
 * The parents of node `k`, which fired on the images `fired` (ascending) at `positions`.
 *
 * @example
 * ```ts
 * const edges = fitParents(parentPool(above), k, fired, positions, { parents: 15, gate: 3 }, 1.6);
 * edges[0]?.parent; // index of the best parent in the layer above
 * ```
 */
export function fitParents(
  pool: ParentPool,
  k: number,
  fired: readonly number[],
  positions: readonly NodePositions[],
  settings: { readonly parents: number; readonly gate: number },
  floor: number,
): WorkEdge[] {
  const { above, firedAbove, count, sx, sy, ss } = pool;
  const touched: number[] = [];
  for (const i of fired) {
    const a = above[i] as NodePositions;
    const px = (positions[i] as NodePositions).x[k] as number;
    const py = (positions[i] as NodePositions).y[k] as number;
    for (const u of firedAbove[i] as Int32Array) {
      if ((count[u] as number) === 0) touched.push(u);
      count[u] = (count[u] as number) + 1;
      const dx = px - (a.x[u] as number);
      const dy = py - (a.y[u] as number);
      sx[u] = (sx[u] as number) + dx;
      sy[u] = (sy[u] as number) + dy;
      ss[u] = (ss[u] as number) + dx * dx + dy * dy;
    }
  }
  const gate2 = settings.gate * settings.gate;
  // The best `parents` candidates, kept sorted (fit descending, then index ascending) by insertion.
  const best: { u: number; fit: number; variance: number }[] = [];
  for (const u of touched) {
    const n = count[u] as number;
    if (n >= 2) {
      const mx = (sx[u] as number) / n;
      const my = (sy[u] as number) / n;
      sx[u] = mx;
      sy[u] = my;
      const sum = Math.max(0, (ss[u] as number) - n * (mx * mx + my * my));
      const variance = Math.max(floor, sum / (2 * n));
      const logVar = Math.log(2 * Math.PI * variance);
      const fit = (-sum / (2 * variance) - n * logVar + (fired.length - n) * (-gate2 / 2 - logVar)) / fired.length;
      if (best.length < settings.parents || ranksBefore(fit, u, best[best.length - 1] as { u: number; fit: number })) {
        let at = best.length;
        while (at > 0 && ranksBefore(fit, u, best[at - 1] as { u: number; fit: number })) at--;
        best.splice(at, 0, { u, fit, variance });
        if (best.length > settings.parents) best.pop();
      }
    }
    count[u] = 0;
  }
  const edges = best.map((b): WorkEdge => ({ parent: b.u, displacement: [sx[b.u] as number, sy[b.u] as number], variance: b.variance }));
  for (const u of touched) {
    sx[u] = 0;
    sy[u] = 0;
    ss[u] = 0;
  }
  return edges;
}

function ranksBefore(fit: number, u: number, other: { readonly u: number; readonly fit: number }): boolean {
  return fit > other.fit || (fit === other.fit && u < other.u);
}
