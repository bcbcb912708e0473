/**
 * The result files of a dissection: `tally.csv` in NetDissect-Lite's columns and the per-layer
 * `result.json` object. Isomorphic: text and plain objects out.
 */
import { csvLine } from '../datasets/broden/csv.js';
import type { BrodenMeta } from '../datasets/broden/format.js';
import type { DetectorCounts, UnitScore } from './score.js';

/**
 * A number as Python's `repr` of a float64 writes it (`3.0`, `0.25`), which is how NetDissect-Lite's
 * `csv.DictWriter` writes its numpy values.
 *
 * @example
 * ```ts
 * pyFloat(3); // '3.0'
 * pyFloat(0.00001234); // '1.234e-05'
 * ```
 */
export function pyFloat(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  if (Number.isInteger(v)) return `${v}.0`;
  return String(v);
}

/**
 * `tally.csv`: `unit,category,label,score`, then per category `<c>-label,<c>-truth,<c>-activation,
 * <c>-intersect,<c>-iou`; rows in the given order (sorted by score).
 *
 * @example
 * ```ts
 * const text = tallyCsv(scoreUnits(tally, meta), meta.categories);
 * ```
 */
export function tallyCsv(rows: readonly UnitScore[], categories: readonly string[]): string {
  const header = [
    'unit',
    'category',
    'label',
    'score',
    ...categories.flatMap((c) => ['label', 'truth', 'activation', 'intersect', 'iou'].map((f) => `${c}-${f}`)),
  ];
  let text = csvLine(header);
  for (const r of rows) {
    const cells: (string | number)[] = [r.unit, r.category, r.label, pyFloat(r.score)];
    for (const m of r.categories) cells.push(m.name, pyFloat(m.truth), pyFloat(m.activation), pyFloat(m.intersect), pyFloat(m.iou));
    text += csvLine(cells);
  }
  return text;
}

/** One layer in `result.json`. */
export interface LayerResult {
  readonly layer: string;
  readonly shape: readonly number[];
  readonly quantile: number;
  readonly level: number;
  readonly thresholdRankError: number;
  readonly images: number;
  readonly thresholds: readonly number[];
  readonly counts: DetectorCounts;
  /** Per unit (1-based order): its best label and score, and every label with a non-zero IoU. */
  readonly units: readonly { unit: number; category: string; label: string; score: number; iou: Readonly<Record<string, number>> }[];
}

/**
 * The `result.json` entry of a layer: thresholds, IoU per unit and label (non-zero ones, by label
 * name), and the interpretable-unit counts.
 *
 * @example
 * ```ts
 * const entry = layerResult({ layer, shape, quantile, level, rankError, images, thresholds }, rows, iou, meta, counts);
 * ```
 */
export function layerResult(
  info: { layer: string; shape: readonly number[]; quantile: number; level: number; rankError: number; images: number; thresholds: ArrayLike<number> },
  rows: readonly UnitScore[],
  iou: Float64Array,
  meta: BrodenMeta,
  counts: DetectorCounts,
): LayerResult {
  const labels = meta.labelNames.length;
  const byUnit = [...rows].sort((a, b) => a.unit - b.unit);
  return {
    layer: info.layer,
    shape: [...info.shape],
    quantile: info.quantile,
    level: info.level,
    thresholdRankError: info.rankError,
    images: info.images,
    thresholds: Array.from(info.thresholds),
    counts,
    units: byUnit.map((r) => {
      const entries: Record<string, number> = {};
      for (let l = 1; l < labels; l++) {
        const v = iou[(r.unit - 1) * labels + l] as number;
        if (v > 0) entries[`${l}:${meta.labelNames[l]}`] = v;
      }
      return { unit: r.unit, category: r.category, label: r.label, score: r.score, iou: entries };
    }),
  };
}
