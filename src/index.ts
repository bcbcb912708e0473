/**
 * Lucerna's isomorphic core: ONNX graphs, the gradient compiler, the engine interface, the
 * attribution methods, post-processing, rendering to pixels and the TF.js converter.
 * Nothing here imports Node-only modules; `lucerna/node` adds the Node runtime and file I/O.
 */

export { type BaselineSpec, gaussianBlur, resolveBaseline } from './attribution/baselines.js';
export * from './attribution/cam/index.js';
export { deepLift } from './attribution/gradient/deeplift.js';
export { deconvnet, guidedBackprop } from './attribution/gradient/guided-backprop.js';
export { inputGradient } from './attribution/gradient/input-gradient.js';
export { inputXGradient } from './attribution/gradient/input-x-gradient.js';
export { type IntegratedGradientsOptions, integratedGradients } from './attribution/gradient/integrated-gradients.js';
export { type SaliencyOptions, saliency } from './attribution/gradient/saliency.js';
export { gaussLegendre, INTEGRATION_RULES, type IntegrationRule, quadrature } from './attribution/integration.js';
export { camLayer, camLayers, defaultCamLayer, requireLayer } from './attribution/layers.js';
export { getMethod, methodNames, registerMethod, smoothGrad, smoothGradSquared, varGrad } from './attribution/methods.js';
export { ablationCam } from './attribution/perturbation/ablation-cam.js';
export { ablateFeatures, featureAblation } from './attribution/perturbation/feature-ablation.js';
export { httpScorer } from './attribution/perturbation/http-scorer.js';
export { kernelShap } from './attribution/perturbation/kernel-shap.js';
export { lime } from './attribution/perturbation/lime.js';
export { meaningfulPerturbation } from './attribution/perturbation/meaningful-perturbation.js';
export { occlude, occlusion } from './attribution/perturbation/occlusion.js';
export { rise, riseSaliency } from './attribution/perturbation/rise.js';
export { type PerturbationSource, scoreInputs, scorePerturbations } from './attribution/perturbation/runner.js';
export { scoreCam } from './attribution/perturbation/score-cam.js';
export { functionScorer, modelScorer, type Scorer } from './attribution/perturbation/scorer.js';
export * from './attribution/postprocess.js';
export { type NoiseAggregation, type NoiseOptions, noiseTunnel } from './attribution/smoothing.js';
export { argmaxRows, resolveTargets, softmaxRows, topK } from './attribution/targets.js';
export { attributeTopK } from './attribution/top-k.js';
// Attribution: one shared interface, one file per method.
export type { AttributionMethod, AttributionResult, CommonOptions, MethodKind, ScoreOptions, TargetSpec } from './attribution/types.js';
export { upsample, upsampleBilinear, upsampleNearest } from './attribution/upsample.js';
export { deepliftRules } from './compiler/rulesets/deeplift.js';
export { deconvnetRules, guidedRules, resolveRuleSet, ruleSets, standardRules } from './compiler/rulesets/index.js';
export { redirectedReluRules } from './compiler/rulesets/redirected.js';
export { extendRuleSet, type RuleSet, type VjpContext, type VjpRule } from './compiler/vjp.js';
export * from './convert/index.js';
// Concept data (Broden format, procedural concepts) and Network Dissection.
export * from './datasets/broden/index.js';
export * from './datasets/concepts/index.js';
export * from './datasets/parts/index.js';
export * from './diagnosis/bias/index.js';
export * from './disentangle/graph/index.js';
export * from './disentangle/qa/index.js';
export * from './dissection/index.js';
export { CompiledGradient, type GradientPlan, type GradientResult, Model, type ModelOptions } from './engine/model.js';
export { ortRuntime } from './engine/ort-adapter.js';
export {
  type CompiledEntry,
  type CompileStore,
  getDefaultRuntime,
  type Runtime,
  type RuntimeSession,
  type SessionOptions,
  setDefaultRuntime,
} from './engine/runtime.js';
export * from './errors.js';
// Formats, conversion and rendering (pure).
export { npyToFloat32, parseNpy, serializeNpy } from './io/npy.js';
export * from './io/preprocess.js';
export * from './metrics/index.js';
export { float, floats } from './onnx/attributes.js';
export { buildModel, emptyGraph, GraphBuilder, graphFromBytes, type ModelSpec } from './onnx/builder.js';
export { Graph, MAX_OPSET, MIN_OPSET, type ValueInfo } from './onnx/graph.js';
export { type ModelSummary, summarizeModel } from './onnx/inspect.js';
export { decodeModel, encodeModel } from './onnx/proto.js';
export { COMPILER_OPSET, upgradeOpset } from './onnx/upgrade.js';
export { COLORMAPS, type ColormapName, colormapLut } from './render/colormap.js';
export { type Heatmap, type HeatmapOptions, renderHeatmap } from './render/heatmap.js';
export * from './robust/index.js';
export { slic } from './segmentation/slic.js';
export * from './tensor/random.js';
export * from './tensor/tensor.js';
export * from './training/index.js';
export * from './visualization/index.js';
