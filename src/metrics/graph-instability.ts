/**
 * Location instability of explanatory-graph nodes (Zhang et al. 2018, "Interpreting CNN Knowledge
 * via an Explanatory Graph", https://arxiv.org/abs/1708.01785, Table 1): the metric of
 * `location-instability.ts` with a node's inferred position in place of a filter's peak. A node
 * counts on an image only where it fired (value > 0), which is the `default` protocol's rule; the
 * `icnn` protocol ranks images by peak value and would count images where a node did not fire,
 * so it is refused here.
 */
import { LucernaError } from '../errors.js';
import { type InstabilityOptions, type LayerInstability, locationInstability } from './location-instability.js';

/** One image: every node's inferred position (NaN, value 0 where it did not fire) and the landmarks. */
export interface NodeImage {
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  readonly value: ArrayLike<number>;
  readonly landmarks: ReadonlyMap<string, readonly [number, number]>;
}

/**
 * Instability of each node (the `filters` entries are indexed by node id) and their mean.
 *
 * @example
 * ```ts
 * const r = nodeInstability(images.map((peaks, i) => ({ ...inferNodePositions(graph, peaks), landmarks: marks[i] })), { width: 64, height: 64 });
 * r.instability;
 * ```
 */
export function nodeInstability(images: readonly NodeImage[], options: InstabilityOptions): LayerInstability {
  if (options.protocol === 'icnn')
    throw new LucernaError('BAD_OPTION', 'Graph nodes are measured with the default protocol only', 'Leave out --protocol icnn for a graph');
  // Where a node did not fire its position is NaN; the default protocol skips value ≤ 0, so only
  // the placeholder must be finite for the shape checks.
  const clean = images.map((im) => {
    const x = Float64Array.from(im.x as ArrayLike<number>, (v) => (Number.isFinite(v) ? v : 0));
    const y = Float64Array.from(im.y as ArrayLike<number>, (v) => (Number.isFinite(v) ? v : 0));
    return { x, y, value: im.value, landmarks: im.landmarks };
  });
  return locationInstability(clean, { ...options, protocol: 'default' });
}

/**
 * A node's positions kept only on the images where it holds its filter's strongest peak (value 0
 * elsewhere): measured this way, a node sees the same evidence as its raw filter, whose position is
 * its maximum on every image, and the two differ only in how the graph splits that evidence into
 * part patterns. `nodes[id]` gives each node's layer and filter; `maxima[layer][filter]` is the
 * filter's maximum on the image (≤ 0 where it did not fire).
 *
 * @example
 * ```ts
 * const at = atFilterMaximum(inferNodePositions(graph, peaks), graph.nodes, peaks.map((l) => l.map((f) => f.value[0] ?? 0)));
 * ```
 */
export function atFilterMaximum<T extends Omit<NodeImage, 'landmarks'>>(
  positions: T,
  nodes: readonly { readonly layer: number; readonly filter: number }[],
  maxima: readonly (readonly number[])[],
): T {
  const value = Float64Array.from(positions.value as ArrayLike<number>, (v, id) => {
    const n = nodes[id];
    const top = n ? (maxima[n.layer]?.[n.filter] ?? 0) : 0;
    return v > 0 && top > 0 && v >= top ? v : 0;
  });
  return { ...positions, value };
}
