/**
 * Hyper-parameters of the explanatory graph, with the paper's values where it gives them (Zhang et
 * al. 2018, https://arxiv.org/abs/1708.01785): 40, 40, 20, 20 patterns per filter from the lower
 * to the top layer and 15 parents per node. The rest are our choices, documented in `fit.ts`.
 */
import { LucernaError, positiveInteger } from '../../errors.js';
import type { GraphSettings } from './types.js';

/** The paper's patterns per filter for its four layers, lower → top. */
export const PAPER_PATTERNS = [40, 40, 20, 20] as const;

/**
 * Settings with defaults filled in and checked, for `layers` layers. Without `patternsPerFilter`,
 * the top `layers` entries of the paper's 40, 40, 20, 20 are used (40 below the fourth layer from
 * the top).
 *
 * @example
 * ```ts
 * resolveSettings({}, 3).patternsPerFilter; // [40, 20, 20]
 * ```
 */
export function resolveSettings(partial: Partial<GraphSettings>, layers: number): GraphSettings {
  const patterns = partial.patternsPerFilter ?? Array.from({ length: layers }, (_, i) => PAPER_PATTERNS[PAPER_PATTERNS.length - layers + i] ?? 40);
  const s: GraphSettings = {
    patternsPerFilter: [...patterns],
    parents: partial.parents ?? 15,
    peaksPerFilter: partial.peaksPerFilter ?? 5,
    iterations: partial.iterations ?? 5,
    unaryWeight: partial.unaryWeight ?? 1,
    minSigma: partial.minSigma ?? 0.02,
    gate: partial.gate ?? 3,
    minSupport: partial.minSupport ?? 2,
  };
  if (layers < 1) throw new LucernaError('BAD_OPTION', 'The explanatory graph needs at least one layer');
  if (s.patternsPerFilter.length !== layers)
    throw new LucernaError('BAD_OPTION', `--patterns needs one number per layer (${layers}), got ${s.patternsPerFilter.length}`);
  const positiveInts: [string, number][] = [
    ...s.patternsPerFilter.map((p) => ['--patterns', p] as [string, number]),
    ['--parents', s.parents],
    ['--peaks', s.peaksPerFilter],
    ['--iterations', s.iterations],
    ['--min-support', s.minSupport],
  ];
  for (const [name, v] of positiveInts) positiveInteger(v, name);
  if (!(s.unaryWeight >= 0)) throw new LucernaError('BAD_OPTION', `The unary weight must be ≥ 0, got ${s.unaryWeight}`);
  if (!(s.minSigma > 0)) throw new LucernaError('BAD_OPTION', `minSigma must be > 0, got ${s.minSigma}`);
  if (!(s.gate > 0)) throw new LucernaError('BAD_OPTION', `The gate must be > 0, got ${s.gate}`);
  return s;
}
