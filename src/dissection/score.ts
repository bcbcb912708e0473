/**
 * IoU scores and per-unit labels of Network Dissection (Bau et al. 2017,
 * https://arxiv.org/abs/1704.05796), as NetDissect-Lite's `tally` computes them:
 * - `iou[u, l] = both[u, l] / (unitsCat[u, primary(l)] + labelTotal[l] − both[u, l] + 1e-10)`.
 * - Per category c, the unit's label is the first label number with the largest IoU among the
 *   labels whose primary category is c; when all are 0 it is label 0, whose name is ''.
 * - The unit's category is the one with the largest such IoU, ties to the later category.
 * - Rows are sorted by score, highest first; equal scores put the higher unit number first
 *   (NetDissect-Lite reverses an ascending sort).
 */
import type { BrodenMeta } from '../datasets/broden/format.js';
import type { Tally } from './tally.js';

/** A unit's best label in one category, with the counts behind its IoU. */
export interface CategoryMatch {
  readonly category: string;
  readonly label: number;
  readonly name: string;
  /** Label pixels (`labelTotal`). */
  readonly truth: number;
  /** The unit's mask pixels in images with this category (`unitsCat`). */
  readonly activation: number;
  /** Mask pixels on the label (`both`). */
  readonly intersect: number;
  readonly iou: number;
}

/** One row of `tally.csv`. */
export interface UnitScore {
  /** 1-based unit number. */
  readonly unit: number;
  readonly category: string;
  readonly label: string;
  readonly labelNumber: number;
  readonly score: number;
  /** One entry per category, in category order. */
  readonly categories: readonly CategoryMatch[];
}

/**
 * The IoU of every unit with every label, `[units × labels]` row by row.
 *
 * @example
 * ```ts
 * const iou = iouMatrix(tally, meta.primary); // iou[u * labels + l]
 * ```
 */
export function iouMatrix(tally: Tally, primary: Int32Array): Float64Array {
  const { units, labels, categories } = tally;
  const out = new Float64Array(units * labels);
  for (let u = 0; u < units; u++) {
    for (let l = 0; l < labels; l++) {
      const both = tally.both[u * labels + l] as number;
      const act = tally.unitsCat[u * categories + (primary[l] as number)] as number;
      out[u * labels + l] = both / (act + (tally.labelTotal[l] as number) - both + 1e-10);
    }
  }
  return out;
}

/**
 * The rows of `tally.csv`: every unit's best label per category and overall, sorted by score.
 *
 * @example
 * ```ts
 * const rows = scoreUnits(tally, meta); // rows[0] is the most interpretable unit
 * ```
 */
export function scoreUnits(tally: Tally, meta: BrodenMeta, iou = iouMatrix(tally, meta.primary)): UnitScore[] {
  const { units, labels, categories } = tally;
  const rows: UnitScore[] = [];
  for (let u = 0; u < units; u++) {
    const matches = meta.categories.map((category, ci): CategoryMatch => {
      let label = 0;
      let best = meta.primary[0] === ci ? (iou[u * labels] as number) : 0;
      for (let l = 1; l < labels; l++) {
        const v = meta.primary[l] === ci ? (iou[u * labels + l] as number) : 0;
        if (v > best) {
          best = v;
          label = l;
        }
      }
      return {
        category,
        label,
        name: meta.labelNames[label] ?? '',
        truth: tally.labelTotal[label] as number,
        activation: tally.unitsCat[u * categories + (meta.primary[label] as number)] as number,
        intersect: tally.both[u * labels + label] as number,
        iou: best,
      };
    });
    let top = 0;
    matches.forEach((m, ci) => {
      if (m.iou >= (matches[top] as CategoryMatch).iou) top = ci;
    });
    const winner = matches[top] as CategoryMatch;
    rows.push({ unit: u + 1, category: winner.category, label: winner.name, labelNumber: winner.label, score: winner.iou, categories: matches });
  }
  return rows.sort((a, b) => b.score - a.score || b.unit - a.unit);
}

/** Interpretable-unit counts: per category, and the number of distinct labels they detect. */
export interface DetectorCounts {
  readonly threshold: number;
  readonly units: number;
  readonly perCategory: Readonly<Record<string, number>>;
  readonly uniqueDetectors: number;
  readonly uniquePerCategory: Readonly<Record<string, number>>;
}

/**
 * Counts units whose score is at least `threshold` (Bau et al. use 0.04), per category, and the
 * unique detectors (distinct labels), as in Figure 4 of the paper.
 *
 * @example
 * ```ts
 * countDetectors(rows, meta.categories, 0.04).perCategory.color;
 * ```
 */
export function countDetectors(rows: readonly UnitScore[], categories: readonly string[], threshold = 0.04): DetectorCounts {
  const perCategory: Record<string, number> = Object.fromEntries(categories.map((c) => [c, 0]));
  const unique: Record<string, Set<number>> = Object.fromEntries(categories.map((c) => [c, new Set<number>()]));
  let units = 0;
  for (const r of rows) {
    if (!(r.score >= threshold)) continue;
    units++;
    perCategory[r.category] = (perCategory[r.category] ?? 0) + 1;
    unique[r.category]?.add(r.labelNumber);
  }
  const uniquePerCategory = Object.fromEntries(categories.map((c) => [c, unique[c]?.size ?? 0]));
  return { threshold, units, perCategory, uniqueDetectors: Object.values(uniquePerCategory).reduce((a, b) => a + b, 0), uniquePerCategory };
}

/**
 * The mean over units of each unit's best IoU within `category` (its best label of that category,
 * whether or not that category wins overall): NetDissect's dataset-level IoU (Bau et al. 2017), how
 * well, on average, a unit's top activations overlap one label. The interpretable-CNN paper's part
 * interpretability is the per-image association of {@link bestAssociations} instead. `undefined`
 * without units or when the category was not dissected.
 *
 * @example
 * ```ts
 * meanBestIou(rows, 'part'); // e.g. 0.12
 * ```
 */
export function meanBestIou(rows: readonly UnitScore[], category: string): number | undefined {
  let sum = 0;
  let n = 0;
  for (const r of rows) {
    const m = r.categories.find((c) => c.category === category);
    if (!m) return undefined;
    sum += m.iou;
    n++;
  }
  return n > 0 ? sum / n : undefined;
}

/** A unit's best per-image association within a category. */
export interface Association {
  /** 1-based unit number. */
  readonly unit: number;
  readonly label: number;
  readonly name: string;
  /** P_{f,k}: the share of the images carrying the label where the unit's mask has IoU > the threshold with it. */
  readonly p: number;
}

/**
 * The part interpretability of the interpretable-CNN paper (Zhang, Wu & Zhu 2018,
 * https://arxiv.org/abs/1710.00935, §5.2.1), per unit u in unit order: P_u = max over the labels k
 * of `category` of P_{u,k}, the share of the images carrying k on which u's mask (its top-quantile
 * activations, upsampled) has IoU > `tally.associationIou` (0.2) with k. The first label wins ties.
 * `undefined` when the category was not dissected, has no label on any image, or the tally has no
 * association counts.
 *
 * @example
 * ```ts
 * const per = bestAssociations(tally, meta, 'part'); // per[0].p: unit 1's part interpretability
 * ```
 */
export function bestAssociations(tally: Tally, meta: BrodenMeta, category: string): Association[] | undefined {
  const ci = meta.categories.indexOf(category);
  if (ci < 0 || !tally.hasAssociation) return undefined;
  const { units, labels } = tally;
  const own: number[] = [];
  for (let l = 1; l < labels; l++) if (meta.primary[l] === ci && (tally.present[l] as number) > 0) own.push(l);
  if (own.length === 0) return undefined;
  return Array.from({ length: units }, (_, u) => {
    let label = own[0] as number;
    let p = -1;
    for (const l of own) {
      const v = (tally.associated[u * labels + l] as number) / (tally.present[l] as number);
      if (v > p) {
        p = v;
        label = l;
      }
    }
    return { unit: u + 1, label, name: meta.labelNames[label] ?? '', p };
  });
}

/**
 * The mean P_u of {@link bestAssociations}' units (undefined without any).
 *
 * @example
 * ```ts
 * meanAssociation([{ unit: 1, label: 1, name: 'head', p: 0.5 }, { unit: 2, label: 1, name: 'head', p: 1 }]); // 0.75
 * ```
 */
export function meanAssociation(per: readonly Association[] | undefined): number | undefined {
  return per && per.length > 0 ? per.reduce((a, r) => a + r.p, 0) / per.length : undefined;
}

/**
 * The layer's part interpretability in the interpretable-CNN paper's sense (§5.2.1): the mean over
 * units of {@link bestAssociations}' P_u.
 *
 * @example
 * ```ts
 * meanBestAssociation(tally, meta, 'part'); // e.g. 0.35
 * ```
 */
export function meanBestAssociation(tally: Tally, meta: BrodenMeta, category: string): number | undefined {
  return meanAssociation(bestAssociations(tally, meta, category));
}
