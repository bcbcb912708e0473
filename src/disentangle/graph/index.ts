/** The explanatory graph (Zhang et al. 2018, https://arxiv.org/abs/1708.01785): mining, inference, part localisation. */
export { fitExplanatoryGraph, fitExplanatoryGraphAsync, type GraphFitOptions, type GraphSource } from './fit.js';
export { checkGraphModel, parseGraph } from './graph-file.js';
export { inferNodePositions } from './infer.js';
export {
  firingFractions,
  fitPartLocator,
  type LocatorOptions,
  locatePart,
  normalisedDistance,
  type PartLocator,
  type PartShot,
  type UnitPositions,
} from './locate.js';
export { imagePeaks, mapPeaks } from './peaks.js';
export { PAPER_PATTERNS, resolveSettings } from './settings.js';
export type * from './types.js';
