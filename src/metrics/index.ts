/**
 * Metrics of explanation quality, one per file, separate from the methods: faithfulness
 * (deletion, insertion, infidelity), robustness (max-sensitivity), localisation against masks
 * (pointing game, relevance mass and rank accuracy) and the model-randomization sanity checks.
 * Isomorphic: nothing here imports Node. The HTML report lives in `render/report/evaluation.ts`.
 */
export { type MetricRunOptions, type ModelOrScorer, metricContext, metricTargets } from './context.js';
export { deletion } from './deletion.js';
export { EvaluationSession, type EvaluationSettings, evaluationSettings, type ImageEvaluation, INPUT_SCALED_METHODS } from './evaluation.js';
export { type NodeImage, nodeInstability } from './graph-instability.js';
export { attributionLikeInput, type InfidelityOptions, type InfidelityPerturbation, type InfidelityResult, infidelity } from './infidelity.js';
export { insertion } from './insertion.js';
export {
  type FilterInstability,
  type InstabilityImage,
  type InstabilityOptions,
  type LayerInstability,
  locationInstability,
  roundHalfEven,
} from './location-instability.js';
export { attributionMaps, type MapReduction, type Plane, planeOf, rankPixels } from './maps.js';
export { type MaskMetricOptions, mapsWithMasks, maskPlane, objectPixels } from './masks.js';
export { type MaxSensitivityOptions, type MaxSensitivityResult, maxSensitivity } from './max-sensitivity.js';
export { type ChannelPeaks, channelPeaks, fieldCenter, unitCenter } from './peak-units.js';
export { type CurveDirection, type PixelCurveOptions, type PixelCurveResult, pixelCurve, resolveStep, stepFractions } from './pixel-curve.js';
export { argmaxPixel, type PointingGameOptions, pointingGame } from './pointing-game.js';
export {
  modelRandomization,
  type RandomizationMode,
  type RandomizationOptions,
  type RandomizationResult,
  type RandomizationStage,
  RandomizedModels,
  spreadStages,
} from './randomization.js';
export { type ParametrisedLayer, parametrisedLayers, randomizedCopy, redrawInitializer, standardDeviation } from './randomize-weights.js';
export { METRICS, type MetricInfo, type MetricName, metricNames, resolveMetrics } from './registry.js';
export { relevanceMassAccuracy } from './relevance-mass.js';
export { relevanceRankAccuracy } from './relevance-rank.js';
export { averageRanks, pearson, spearman } from './spearman.js';
export { minMaxScaled, type SsimOptions, ssim } from './ssim.js';
export { type LayerStability, type LayerStabilityOptions, layerStability, type StabilityImage } from './stability.js';
export { type MeanAndError, meanAndError, trapezoidArea } from './stats.js';
export { EvaluationAccumulator, type EvaluationSummary, metricInfo, type TableCell, tableCsv } from './summary.js';
