/**
 * The metrics by name, as `lucerna evaluate --metrics` lists them: what each needs and which
 * direction is better, so reports can say so.
 */
import { closestNames, LucernaError } from '../errors.js';

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

/** What a report needs to know about a metric. */
export interface MetricInfo {
  readonly name: MetricName;
  /** One line with the paper. */
  readonly description: string;
  /** Needs a ground-truth mask per image. */
  readonly needsMask: boolean;
  /** Which direction is better. */
  readonly better: 'lower' | 'higher';
}

/**
 * Every metric, in report order.
 *
 * @example
 * ```ts
 * METRICS.filter((m) => m.needsMask).map((m) => m.name); // ['pointing-game', 'relevance-mass', 'relevance-rank']
 * ```
 */
export const METRICS: readonly MetricInfo[] = [
  { name: 'deletion', description: 'Deletion AUC of the target score (Petsiuk et al. 2018)', needsMask: false, better: 'lower' },
  { name: 'insertion', description: 'Insertion AUC of the target score (Petsiuk et al. 2018)', needsMask: false, better: 'higher' },
  { name: 'pointing-game', description: 'Pointing game hit rate (Zhang et al. 2016)', needsMask: true, better: 'higher' },
  { name: 'relevance-mass', description: 'Relevance mass accuracy (Arras et al. 2022)', needsMask: true, better: 'higher' },
  { name: 'relevance-rank', description: 'Relevance rank accuracy (Arras et al. 2022)', needsMask: true, better: 'higher' },
  {
    name: 'randomization',
    description: 'Cascading model randomization: mean Spearman of |map| over the stages (Adebayo et al. 2018)',
    needsMask: false,
    better: 'lower',
  },
  {
    name: 'randomization-independent',
    description: 'Independent layer randomization: mean Spearman of |map| over the layers (Adebayo et al. 2018)',
    needsMask: false,
    better: 'lower',
  },
  {
    name: 'infidelity-gaussian',
    description: 'Infidelity under Gaussian noise, attribution scale fitted (Yeh et al. 2019)',
    needsMask: false,
    better: 'lower',
  },
  { name: 'infidelity-square', description: 'Infidelity under square removal, attribution scale fitted (Yeh et al. 2019)', needsMask: false, better: 'lower' },
  { name: 'max-sensitivity', description: 'Relative max-sensitivity in an L∞ ball (Yeh et al. 2019)', needsMask: false, better: 'lower' },
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
    if (!found) {
      throw new LucernaError(
        'BAD_OPTION',
        `Unknown metric "${name}"`,
        `Known metrics: ${metricNames().join(', ')} (closest: ${closestNames(name, metricNames(), 2).join(', ')})`,
      );
    }
    return found;
  });
}
