/**
 * The E-step and inference step of the explanatory graph (Zhang et al. 2018, "Interpreting CNN
 * Knowledge via an Explanatory Graph", https://arxiv.org/abs/1708.01785): given where the parents
 * sit on an image, each peak of a filter goes to the filter's node that explains it best, and each
 * node takes, among its peaks, the one with the best score. Shared by fitting and inference.
 *
 * Choices the paper leaves open (see also `fit.ts`):
 * - Geometric score of a peak at p for node V: the mean over V's parents U that fired on the image
 *   of log N(p − p_U; Δ_UV, σ²_UV·I) (isotropic 2-D Gaussian). With no parent fired (always in
 *   the top layer) it is log N(p − r; prior_V, σ²_V·I), with r the image's reference point.
 * - Gate: a node takes a peak only if the mean squared Mahalanobis distance of that score is
 *   ≤ gate², so a node does not fire on a far peak that another part made.
 * - Peaks are assigned hard (each to one node of its filter, by geometric score); a node's
 *   position is its assigned peak maximising unaryWeight·log(value) + geometric score.
 */
import type { FilterPeaks, NodePositions } from './types.js';

/** A parent link in working form: the parent's index within the layer above. */
export interface WorkEdge {
  readonly parent: number;
  readonly displacement: readonly [number, number];
  readonly variance: number;
}

/** A node in working form. */
export interface WorkNode {
  readonly filter: number;
  readonly prior: readonly [number, number];
  readonly variance: number;
  readonly parents: readonly WorkEdge[];
}

const LOG_2PI = Math.log(2 * Math.PI);

function logNormal(dx: number, dy: number, variance: number): { log: number; mahal: number } {
  const mahal = (dx * dx + dy * dy) / variance;
  return { log: -mahal / 2 - LOG_2PI - Math.log(variance), mahal };
}

/**
 * The geometric score of a point for a node and its squared Mahalanobis distance.
 *
 * @example
 * ```ts
 * geometricScore(node, 10, 12, [0, 0], parentPositions).mahal; // 0 when the point is where expected
 * ```
 */
export function geometricScore(
  node: WorkNode,
  x: number,
  y: number,
  root: readonly [number, number],
  parents: NodePositions | null,
): { log: number; mahal: number } {
  let log = 0;
  let mahal = 0;
  let n = 0;
  if (parents) {
    for (const e of node.parents) {
      if (!((parents.value[e.parent] as number) > 0)) continue;
      const s = logNormal(x - (parents.x[e.parent] as number) - e.displacement[0], y - (parents.y[e.parent] as number) - e.displacement[1], e.variance);
      log += s.log;
      mahal += s.mahal;
      n++;
    }
  }
  if (n === 0) return logNormal(x - root[0] - node.prior[0], y - root[1] - node.prior[1], node.variance);
  return { log: log / n, mahal: mahal / n };
}

/** Empty positions for `n` nodes (nothing fired). @example `emptyPositions(3).value // [0, 0, 0]` */
export function emptyPositions(n: number): NodePositions {
  return { x: new Float64Array(n).fill(Number.NaN), y: new Float64Array(n).fill(Number.NaN), value: new Float64Array(n) };
}

/**
 * Positions of every node of one layer on one image.
 *
 * @example
 * ```ts
 * const pos = assignLayer(peaksOfLayer, nodes, byFilter, root, parentPositions, { unaryWeight: 1, gate: 3 });
 * ```
 */
export function assignLayer(
  peaks: readonly FilterPeaks[],
  nodes: readonly WorkNode[],
  byFilter: readonly (readonly number[])[],
  root: readonly [number, number],
  parents: NodePositions | null,
  options: { readonly unaryWeight: number; readonly gate: number },
): NodePositions {
  const out = emptyPositions(nodes.length);
  const best = new Float64Array(nodes.length).fill(Number.NEGATIVE_INFINITY);
  const gate2 = options.gate * options.gate;
  peaks.forEach((fp, f) => {
    const candidates = byFilter[f] ?? [];
    if (candidates.length === 0) return;
    for (let p = 0; p < fp.value.length; p++) {
      const x = fp.x[p] as number;
      const y = fp.y[p] as number;
      const v = fp.value[p] as number;
      let owner = -1;
      let ownerScore = Number.NEGATIVE_INFINITY;
      for (const k of candidates) {
        const s = geometricScore(nodes[k] as WorkNode, x, y, root, parents);
        if (s.mahal <= gate2 && s.log > ownerScore) {
          ownerScore = s.log;
          owner = k;
        }
      }
      if (owner < 0) continue;
      const total = options.unaryWeight * Math.log(v) + ownerScore;
      if (total > (best[owner] as number)) {
        best[owner] = total;
        out.x[owner] = x;
        out.y[owner] = y;
        out.value[owner] = v;
      }
    }
  });
  return out;
}

/**
 * The image's reference point: the mean of the strongest peak of every top-layer filter that
 * fired, or the input centre when none did.
 *
 * @example
 * ```ts
 * referencePoint([{ x: [4], y: [6], value: [1] }, { x: [8], y: [2], value: [3] }], [32, 32]); // [6, 4]
 * ```
 */
export function referencePoint(top: readonly FilterPeaks[], inputSize: readonly [number, number]): [number, number] {
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (const fp of top) {
    if (fp.value.length === 0) continue;
    sx += fp.x[0] as number;
    sy += fp.y[0] as number;
    n++;
  }
  return n ? [sx / n, sy / n] : [inputSize[1] / 2, inputSize[0] / 2];
}
