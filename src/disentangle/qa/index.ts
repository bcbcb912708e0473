/** Active question-answering part learning (Zhang et al. 2017, https://arxiv.org/abs/1704.03173) on explanatory-graph nodes or filters. */
export { type Framed, type ImageFrame, imageFrame, imageToModel, insideModel, modelToImage } from './frame.js';
export { type ActiveQaOptions, type QaClick, type QaOracle, type QaStep, runActiveQa } from './loop.js';
export { landmarkTable, type SimulatedUserOptions, simulatedUser } from './oracle.js';
export {
  firingRates,
  fitPartModel,
  guessPart,
  PART_MODEL_DEFAULTS,
  type PartAnnotation,
  type PartModelSettings,
  partModelSettings,
} from './part-model.js';
export { type QaGuess, QaSession } from './session.js';
export {
  type CurveOptions,
  type Curves,
  meanCurve,
  questionsToReach,
  type SelectionMargin,
  selectionMargin,
  simulateQa,
  type TruthImage,
} from './simulate.js';
export type * from './types.js';
export { filterUnits, type PeakImage, qaImages } from './units.js';
