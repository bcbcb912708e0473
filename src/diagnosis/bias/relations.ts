/**
 * Mining the class–attribute relations a CNN's evidence implies and flagging the biased ones,
 * after Zhang, Wang, Zhu, "Examining CNN Representations with respect to Dataset Bias" (AAAI 2018,
 * https://arxiv.org/abs/1710.10577). Pure and isomorphic: the inputs are per-image numbers that a
 * caller computes with one batched gradient pass (the rationale, gradient × activation of a conv
 * layer summed over positions) on an unbiased reference split.
 *
 * Choices (ours, on the paper's idea):
 * - **Attribute filters.** The filters of attribute value `j` are the `filtersPerAttribute` filters
 *   whose summed activation correlates most (Pearson, absolute) with the indicator of `j` over the
 *   reference images: the filters that respond to that attribute.
 * - **The network's relation** between class `c` and `j` is the Pearson correlation, over the
 *   reference images, between the class-`c` score evidence carried by `j`'s filters (the sum of the
 *   class-`c` rationale over those filters) and the indicator of `j`: how strongly the class score
 *   leans on the attribute's evidence.
 * - **The ground-truth relation** is the phi coefficient (Pearson on indicators) between the true
 *   class `c` and `j` on the same unbiased split; on it a nuisance attribute has a relation near 0.
 * - **Bias** is the difference, network minus ground truth; a relation is flagged when its absolute
 *   value reaches `threshold` (the network relies on it much more, or much less, than the data
 *   justifies). Relations are ranked by that absolute difference.
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
  /** `activations[n][k]`: filter k's activation of image n summed over positions. */
  readonly activations: readonly (readonly number[])[];
  /** `rationale[c][n][k]`: gradient × activation of filter k for class c's score on image n, summed over positions. */
  readonly rationale: readonly (readonly (readonly number[])[])[];
}

/** Options of {@link mineRelations}. */
export interface RelationOptions {
  /** How many filters stand for one attribute value (default 3). */
  readonly filtersPerAttribute?: number;
  /** The absolute bias at which a relation is flagged (default 0.3). */
  readonly threshold?: number;
}

/** One mined class–attribute relation. */
export interface BiasRelation {
  readonly className: string;
  readonly attribute: string;
  /** The attribute's filters, most correlated first. */
  readonly filters: readonly number[];
  /** The network's relation in [−1, 1]. */
  readonly network: number;
  /** The ground-truth relation in [−1, 1]. */
  readonly groundTruth: number;
  /** network − groundTruth. */
  readonly bias: number;
  readonly flagged: boolean;
}

/**
 * The `m` filters whose activation correlates most (in absolute value) with an indicator.
 *
 * @example
 * ```ts
 * attributeFilters([[0, 5], [1, 0]], [0, 1], 1); // [0] (both are ±1; the lower index wins ties)
 * ```
 */
export function attributeFilters(activations: readonly (readonly number[])[], indicator: readonly number[], m: number): number[] {
  const k = activations[0]?.length ?? 0;
  const scores = Array.from({ length: k }, (_, f) =>
    Math.abs(
      pearson(
        activations.map((a) => a[f] as number),
        indicator,
      ),
    ),
  );
  return scores
    .map((s, f) => [s, f] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, Math.min(m, k))
    .map(([, f]) => f);
}

/**
 * Mines every class–attribute relation, ranked by absolute bias (largest first).
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
  input.attributes.forEach((attribute, j) => {
    const indicator = input.indicators.map((row) => row[j] as number);
    const filters = attributeFilters(input.activations, indicator, m);
    input.classes.forEach((className, c) => {
      const rationale = input.rationale[c] ?? [];
      const evidence = rationale.map((row) => filters.reduce((s, f) => s + (row[f] as number), 0));
      const network = pearson(evidence, indicator);
      const groundTruth = pearson(
        input.labels.map((y) => (y === c ? 1 : 0)),
        indicator,
      );
      const bias = network - groundTruth;
      out.push({ className, attribute, filters, network, groundTruth, bias, flagged: Math.abs(bias) >= threshold });
    });
  });
  return out.sort((a, b) => Math.abs(b.bias) - Math.abs(a.bias));
}
