/**
 * Feature visualization: activation maximisation with an objective algebra, parameterizations and
 * transformation robustness; network inversion; receptive fields and top-activating patches.
 * Isomorphic: nothing here imports Node (folders of images are streamed by the CLI).
 */
export { DEFAULT_RELU_REDIRECT_STEPS, type VisualizationResult, type VisualizeOptions, visualize } from './activation-maximization.js';
export { type EmpiricalField, type EmpiricalFieldOptions, empiricalReceptiveField, type FieldImage } from './empirical-receptive-field.js';
export { addAlphaNorm, addTotalVariation, codeMatch, type InversionOptions, type InversionResult, invert, psnr } from './inversion.js';
export {
  checkMemoryEstimate,
  DEFAULT_MEMORY_FRACTION,
  defaultMemoryLimit,
  estimateImageProgramMemory,
  FALLBACK_MEMORY_LIMIT,
  formatBytes,
  type MemoryEstimate,
  parseMemorySize,
} from './memory.js';
export { DEFAULT_PIXEL_OPTIONS, emitModelInput, requireImageModel } from './model-input.js';
export { cropBox, montage, planarToRgb } from './montage.js';
export { parseObjective } from './objective-parser.js';
export {
  type ActivationInfo,
  type BatchOption,
  channel,
  classLogit,
  direction,
  diversity,
  layer,
  type NeuronOptions,
  neuron,
  Objective,
  type ObjectiveContext,
  type ObjectiveNeeds,
  requireChannel,
  sum,
} from './objectives.js';
export { Adam, type AdamOptions } from './optimize.js';
export {
  COLOR_DECORRELATION,
  type ImageParameterization,
  imageParameterization,
  inverseDftMatrices,
  type ParameterizationOptions,
  type SpatialParameterization,
  spectrumScale,
} from './parameterizations.js';
export { compileImageProgram, ImageProgram, type ImageProgramSpec, resolveLayer, type StepResult, trunkGraph } from './program.js';
export { type FieldBox, fieldBox, type ReceptiveField, receptiveField } from './receptive-field.js';
export { TopK } from './top-k.js';
export { type ImageSource, type LoadedImage, type TopPatch, type TopPatchesOptions, type TopPatchesResult, topPatches } from './top-patches.js';
export {
  applyTransforms,
  type ImageNode,
  jitter,
  pad,
  type RandomInput,
  type RotateOptions,
  resizeTo,
  rotate,
  type ScaleOptions,
  scale,
  standardTransforms,
  type Transform,
  type TransformContext,
} from './transforms.js';
