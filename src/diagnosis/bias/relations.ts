/**
 * Mining the relations between attributes and classes that a CNN's evidence implies and flagging the biased ones,
 * after Zhang, Wang, Zhu, "Examining CNN Representations with respect to Dataset Bias" (AAAI 2018,
 * https://arxiv.org/abs/1710.10577). The paper mines the relations between attributes that a
 * network's inference patterns imply and flags those that contradict the ground-truth relations.
 * Pure and isomorphic: the inputs are per-image numbers that a caller computes with one batched
 * gradient pass (the rationale, gradient × activation of a conv layer summed over positions) on an
 * unbiased reference split.
 *
 * Choices (ours, on the paper's idea; docs/bias.md), for an attribute value `j` over the reference
 * images:
 * - **A relation is a cue and a pair of classes.** The paper's relation says how the network's
 *   inference of one attribute uses another. A classifier's classes compete through a softmax,
 *   which is unchanged when the same amount is added to every class score, so the evidence for one
 *   class alone is not defined: only how a cue moves one class against another is. A relation is
 *   therefore "`j` favours class `c` over class `c'`", one per unordered pair of classes, oriented
 *   so that its bias is ≥ 0. What an earlier version reported as two relations, `fish:blue` (+)
 *   and its mirror `bird:blue` (−), is this one relation, `blue` favours fish over bird.
 * - **A complementary value adds no relation.** When an attribute value's indicator is exactly
 *   1 minus an earlier value's on the reference images (the two values of a two-valued attribute
 *   such as `dorsal_fin_present=0` and `=1`), "`X=0` favours c over c'" is the same finding as
 *   "`X=1` favours c' over c", with the same bias; only the earlier value is listed, so a flag is not
 *   counted twice and the chance level counts each relation once.
 * - **Evidence.** `e_n = Σ_k (rationale[c][n][k] − rationale[c'][n][k])`, the difference of the two
 *   class scores' rationales at the layer (gradient × activation summed over positions, the
 *   decision-tree issue's rationale): the first-order decomposition of the score margin y_c − y_c'
 *   over the layer's filters.
 * - **The network's relation** is `ρ(e, a_j)`, the Pearson correlation of that evidence with the
 *   indicator of `j`. **The ground-truth relation** is `ρ(t, a_j)` with `t_n` = 1 for an image of
 *   `c`, −1 for one of `c'`, 0 otherwise, on the same unbiased split.
 * - **Bias** is the partial correlation of the evidence and the attribute given the true class:
 *   the Pearson correlation of their within-class residuals (each minus its mean over the images of
 *   the same true class, all classes as groups). It is the network's relation less what the ground
 *   truth explains: on the unbiased split, everything the attribute says about the class goes
 *   through the true class, so a network that reads only the class has a bias near 0 on every
 *   attribute, also on the parts that define a class and however imperfect it is. A network that
 *   uses `j` as a cue for `c` against `c'` (within one true class, images with `j` get a larger
 *   margin for `c` over `c'`) gets a positive bias. An attribute that the class determines (every
 *   bird has a beak) leaves nothing to measure, and gets bias 0. (A plain difference
 *   `ρ(e, a) − ρ(t, a)` is not used: the two correlations are on different scales, since a
 *   continuous score never correlates ±1 with a label.)
 * - **Flagging.** A relation is flagged when `bias ≥ threshold` (default 0.3). With no reliance,
 *   the sample partial correlation over N images has a standard deviation of about `1/√(N − 3)`;
 *   {@link noiseLevel} gives the largest |bias| that chance alone reaches over R relations, and the
 *   CLI warns when the threshold is below it. Relations are ranked by bias.
 * - **Evidence filters.** The within-class covariance of `e` and `a` is the sum of the filters'
 *   within-class covariances with `a` (the rationale is additive over filters), so each filter's
 *   share of the bias is exact; the `filtersPerAttribute` filters with the largest share in the
 *   bias's direction are reported as the relation's evidence filters.
 */
import { pearson } from '../../metrics/spearman.js';

/** Per-image inputs of the relation mining, all over the same unbiased reference images. */
export interface RelationInput {
  /** Class names, index = class id. */
  readonly classes: readonly string[];
  /** The true class id of each image. */
  readonly labels: readonly number[];
  /** Attribute values such as `background=stripes`, index = column of `indicators`. */
  readonly attributes: readonly string[];
  /** `indicators[n][j]` is 1 when image n has attribute value j, else 0. */
  readonly indicators: readonly (readonly number[])[];
  /** `rationale[c][n][k]`: gradient × activation of filter k for class c's score on image n, summed over positions. */
  readonly rationale: readonly (readonly (readonly number[])[])[];
}

/** Options of {@link mineRelations}. */
export interface RelationOptions {
  /** How many evidence filters to report per relation (default 3). */
  readonly filtersPerAttribute?: number;
  /** The absolute bias at which a relation is flagged (default 0.3). */
  readonly threshold?: number;
}

/** One mined relation: the attribute value favours `className` over `against`. */
export interface BiasRelation {
  /** The class the cue favours. */
  readonly className: string;
  /** The class it is favoured over. */
  readonly against: string;
  readonly attribute: string;
  /** The filters that carry the bias, largest share first. */
  readonly filters: readonly number[];
  /** The network's relation ρ(evidence of `className` minus `against`, attribute) in [−1, 1]. */
  readonly network: number;
  /** The ground-truth relation ρ(t, attribute) in [−1, 1], t = 1 for `className`, −1 for `against`, 0 otherwise. */
  readonly groundTruth: number;
  /** The partial correlation ρ(evidence, attribute | class) in [0, 1] (the orientation makes it ≥ 0). */
  readonly bias: number;
  readonly flagged: boolean;
}

/**
 * The largest |partial correlation| that chance alone reaches, about once, over `relations`
 * relations on `images` reference images: the two-sided normal quantile for a family-wise level of
 * 5 % (Šidák), divided by √(images − 4) (Fisher's standard error with one variable controlled for).
 *
 * @example
 * ```ts
 * noiseLevel(400, 600); // ≈ 0.21
 * ```
 */
export function noiseLevel(images: number, relations: number): number {
  if (images <= 4) return 1;
  const p = 1 - (1 - 0.05) ** (1 / Math.max(1, relations)); // two-sided tail per relation
  return Math.min(1, Math.tanh(normalQuantile(1 - p / 2) / Math.sqrt(images - 4)));
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const poly = (k: readonly number[], x: number) => k.reduce((s, v) => s * x + v, 0);
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - 0.02425) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}

/**
 * Each column's within-class covariance with an indicator (groups: the true classes in `labels`),
 * over all rows: the columns' values sum to the within-class covariance of their sum.
 *
 * @example
 * ```ts
 * withinClassCovariances([[1, 0], [3, 0], [0, 0], [0, 0]], [1, 0, 1, 0], [0, 0, 1, 1]); // [-0.25, 0]
 * ```
 */
export function withinClassCovariances(rows: readonly (readonly number[])[], indicator: readonly number[], labels: readonly number[]): number[] {
  return covariancesWith(residualRows(rows, labels), indicator);
}

/** Each row minus the mean row of its group (its true class in `labels`). */
function residualRows(rows: readonly (readonly number[])[], labels: readonly number[]): Float64Array[] {
  const k = rows[0]?.length ?? 0;
  const sums = new Map<number, { sum: Float64Array; n: number }>();
  rows.forEach((row, i) => {
    const l = labels[i] as number;
    const g = sums.get(l) ?? { sum: new Float64Array(k), n: 0 };
    for (let f = 0; f < k; f++) g.sum[f] = (g.sum[f] as number) + (row[f] as number);
    g.n++;
    sums.set(l, g);
  });
  return rows.map((row, i) => {
    const g = sums.get(labels[i] as number) as { sum: Float64Array; n: number };
    return Float64Array.from(row, (v, f) => v - (g.sum[f] as number) / g.n);
  });
}

/** Σ_n residual[n][f] · indicator[n] / N per column: within each group the residuals sum to 0, so the indicator's own group mean drops out. */
function covariancesWith(residual: readonly Float64Array[], indicator: readonly number[]): number[] {
  const k = residual[0]?.length ?? 0;
  const out = new Float64Array(k);
  residual.forEach((row, n) => {
    const a = indicator[n] as number;
    if (a !== 0) for (let f = 0; f < k; f++) out[f] = (out[f] as number) + a * (row[f] as number);
  });
  return Array.from(out, (v) => v / Math.max(1, residual.length));
}

/**
 * Each value minus the mean of its group (its true class in `labels`).
 *
 * @example
 * ```ts
 * withinClassResiduals([1, 3, 5, 5], [0, 0, 1, 1]); // [-1, 1, 0, 0]
 * ```
 */
export function withinClassResiduals(values: readonly number[], labels: readonly number[]): number[] {
  const sum = new Map<number, [number, number]>();
  values.forEach((v, i) => {
    const s = sum.get(labels[i] as number) ?? [0, 0];
    sum.set(labels[i] as number, [s[0] + v, s[1] + 1]);
  });
  return values.map((v, i) => {
    const [t, n] = sum.get(labels[i] as number) as [number, number];
    return v - t / n;
  });
}

/** The `m` filters with the largest share in the direction of `sign`, largest first (positive shares only). */
function evidenceFilters(shares: readonly number[], sign: number, m: number): number[] {
  return shares
    .map((s, f) => [s * sign, f] as const)
    .filter(([s]) => s > 0)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, m)
    .map(([, f]) => f);
}

/**
 * The attribute values whose indicator (one column per value, over the images) is not the exact
 * complement (1 − indicator) of an earlier value's.
 *
 * @example
 * ```ts
 * distinctAttributes([[1, 0], [0, 1], [1, 1]]); // [0, 2]: value 1 is 1 − value 0
 * ```
 */
export function distinctAttributes(columns: readonly (readonly number[])[]): number[] {
  const seen = new Set<string>();
  const kept: number[] = [];
  columns.forEach((column, j) => {
    if (seen.has(column.map((v) => 1 - v).join(','))) return;
    seen.add(column.join(','));
    kept.push(j);
  });
  return kept;
}

/**
 * Mines every relation (attribute value × unordered pair of classes, oriented so that the bias is
 * ≥ 0; a value complementary to an earlier one is left out), ranked by bias (largest first). Fewer
 * than two classes give no relation.
 *
 * @example
 * ```ts
 * const relations = mineRelations(input, { threshold: 0.3 });
 * relations.filter((r) => r.flagged); // the biased relations
 * ```
 */
export function mineRelations(input: RelationInput, options: RelationOptions = {}): BiasRelation[] {
  const m = options.filtersPerAttribute ?? 3;
  const threshold = options.threshold ?? 0.3;
  const out: BiasRelation[] = [];
  const indicators = input.attributes.map((_, j) => input.indicators.map((row) => row[j] as number));
  const attributeResiduals = indicators.map((indicator) => withinClassResiduals(indicator, input.labels));
  const kept = distinctAttributes(indicators);
  for (let c = 0; c < input.classes.length; c++) {
    for (let o = c + 1; o < input.classes.length; o++) {
      const mine = input.rationale[c] ?? [];
      const other = input.rationale[o] ?? [];
      const rows = mine.map((row, n) => row.map((v, k) => v - ((other[n] as readonly number[])[k] as number)));
      const evidence = rows.map((row) => row.reduce((s, v) => s + v, 0));
      const residual = withinClassResiduals(evidence, input.labels);
      const rowResiduals = residualRows(rows, input.labels);
      const truth = input.labels.map((l) => (l === c ? 1 : l === o ? -1 : 0));
      for (const j of kept) {
        const attribute = input.attributes[j] as string;
        const indicator = indicators[j] as number[];
        const raw = pearson(residual, attributeResiduals[j] as number[]);
        const sign = raw < 0 ? -1 : 1;
        const bias = sign * raw;
        out.push({
          className: input.classes[sign > 0 ? c : o] as string,
          against: input.classes[sign > 0 ? o : c] as string,
          attribute,
          filters: bias === 0 ? [] : evidenceFilters(covariancesWith(rowResiduals, indicator), sign, m),
          network: sign * pearson(evidence, indicator),
          groundTruth: sign * pearson(truth, indicator),
          bias,
          flagged: bias >= threshold,
        });
      }
    }
  }
  return out.sort((a, b) => b.bias - a.bias);
}
