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
