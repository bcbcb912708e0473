/**
 * The metrics by name, as `lucerna evaluate --metrics` lists them: each a descriptor that says what
 * it needs, which direction is better, and how it scores one attribution (see `descriptor.ts`).
 */
import { LucernaError, unknownNameError } from '../errors.js';
import { deletionMetric } from './deletion.js';
import type { MetricDescriptor } from './descriptor.js';
import { infidelityGaussianMetric, infidelitySquareMetric } from './infidelity.js';
import { insertionMetric } from './insertion.js';
import { maxSensitivityMetric } from './max-sensitivity.js';
import { pointingGameMetric } from './pointing-game.js';
import { independentRandomizationMetric, randomizationMetric } from './randomization.js';
import { relevanceMassMetric } from './relevance-mass.js';
import { relevanceRankMetric } from './relevance-rank.js';

/** A metric's name. */
export type MetricName =
  | 'deletion'
  | 'insertion'
  | 'pointing-game'
  | 'relevance-mass'
  | 'relevance-rank'
  | 'randomization'
  | 'randomization-independent'
  | 'infidelity-gaussian'
  | 'infidelity-square'
  | 'max-sensitivity';

/** What a report needs to know about a metric (its descriptor). */
export type MetricInfo = MetricDescriptor<MetricName>;

/**
 * Every metric, in report order. Adding a metric is its descriptor (beside its implementation)
 * plus one line here.
 *
 * @example
 * ```ts
 * METRICS.filter((m) => m.needsMask).map((m) => m.name); // ['pointing-game', 'relevance-mass', 'relevance-rank']
 * ```
 */
export const METRICS: readonly MetricInfo[] = [
  deletionMetric,
  insertionMetric,
  pointingGameMetric,
  relevanceMassMetric,
  relevanceRankMetric,
  randomizationMetric,
  independentRandomizationMetric,
  infidelityGaussianMetric,
  infidelitySquareMetric,
  maxSensitivityMetric,
];

/** Names of every metric. @example `metricNames().includes('deletion') // true` */
export function metricNames(): MetricName[] {
  return METRICS.map((m) => m.name);
}

/**
 * Looks up metrics by name; an unknown name is a one-line error with close names.
 *
 * @example
 * ```ts
 * resolveMetrics(['deletion', 'insertion']);
 * ```
 */
export function resolveMetrics(names: readonly string[]): MetricInfo[] {
  if (names.length === 0) throw new LucernaError('BAD_OPTION', 'No metric given', `Pass --metrics with some of: ${metricNames().join(', ')}`);
  return [...new Set(names)].map((name) => {
    const found = METRICS.find((m) => m.name === name);
    if (!found) throw unknownNameError('metric', name, metricNames());
    return found;
  });
}
