/**
 * TF.js LayersModel → ONNX conversion (isomorphic). The Node side (reading model.json and shards
 * from disk, the bundled nsfwjs model) lives in `node.ts` and `nsfwjs.ts`.
 */
export {
  CONVERTER_OPSET,
  type ConversionFacts,
  type ConvertedModel,
  type ConvertOptions,
  convertLayersModel,
  convertLayersModelWithSidecar,
} from './convert.js';
export { SUPPORTED_ACTIVATIONS } from './layers/activation.js';
export { SUPPORTED_LAYERS } from './layers/index.js';
export { parseTopology } from './topology.js';
export type { KerasLayer, KerasShape, KerasTopology, WeightSpec, WeightsGroup } from './types.js';
export { decodeWeights } from './weights.js';
