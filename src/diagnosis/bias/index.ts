/**
 * Bias discovery (Zhang, Wang, Zhu, "Examining CNN Representations with respect to Dataset Bias",
 * AAAI 2018, https://arxiv.org/abs/1710.10577): per-filter rationale, attribute indicators, and the
 * class–attribute relations the network relies on more or less than the data justifies.
 */
export { type AttributeTable, attributeTable } from './attributes.js';
export { type BiasReference, discoverBias } from './discover.js';
export { type FilterRationale, filterRationale } from './rationale.js';
export {
  type BiasRelation,
  mineRelations,
  noiseLevel,
  type RelationInput,
  type RelationOptions,
  withinClassCovariances,
  withinClassResiduals,
} from './relations.js';
