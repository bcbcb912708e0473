/**
 * The label vocabulary of a procedural parts set (issue #15) in Broden numbering (Bau et al. 2017,
 * https://arxiv.org/abs/1704.05796): object classes first, then the parts they use.
 */
import { FIGURE_CLASSES, PART_NAMES } from './figures.js';
import { NONE_CLASS } from './generate.js';

/** One label of a parts set: global number (from 1), name and category (`object` or `part`). */
export interface PartsLabel {
  readonly number: number;
  readonly name: string;
  readonly category: 'object' | 'part';
}

/**
 * The labels of a set with these object classes: objects first, then the parts they use (sorted).
 *
 * @example
 * ```ts
 * partsLabels(['bird', 'none']).map((l) => l.name); // ['bird', 'beak', 'body', 'head', 'legs', 'tail', 'wings']
 * ```
 */
export function partsLabels(classes: readonly string[]): PartsLabel[] {
  const objects = classes.filter((c) => c !== NONE_CLASS);
  const parts = PART_NAMES.filter((p) => FIGURE_CLASSES.some((c) => objects.includes(c.name) && c.build(() => 0).some((q) => q.name === p)));
  return [
    ...objects.map((name, i) => ({ number: i + 1, name, category: 'object' as const })),
    ...parts.map((name, i) => ({ number: objects.length + i + 1, name, category: 'part' as const })),
  ];
}
