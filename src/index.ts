/**
 * Lucerna's isomorphic core: ONNX graphs, the gradient compiler, the engine interface, the
 * attribution methods, post-processing, rendering to pixels and the TF.js converter.
 * Nothing here imports Node-only modules; `lucerna/node` adds the Node runtime and file I/O.
 */
export * from './errors.js';
export * from './tensor/tensor.js';
export * from './tensor/random.js';
export { Graph, type ValueInfo, MIN_OPSET, MAX_OPSET } from './onnx/graph.js';
export { GraphBuilder, buildModel, emptyGraph, graphFromBytes, type ModelSpec } from './onnx/builder.js';
export { decodeModel, encodeModel } from './onnx/proto.js';
export { float, floats } from './onnx/attributes.js';
export { upgradeOpset, COMPILER_OPSET } from './onnx/upgrade.js';
export { summarizeModel, type ModelSummary } from './onnx/inspect.js';
export { Model, CompiledGradient, type GradientPlan, type GradientResult, type ModelOptions } from './engine/model.js';
export { setDefaultRuntime, getDefaultRuntime, type Runtime, type RuntimeSession, type SessionOptions } from './engine/runtime.js';
export { ortRuntime } from './engine/ort-adapter.js';
export { type RuleSet, type VjpRule, type VjpContext, extendRuleSet } from './compiler/vjp.js';
export { ruleSets, resolveRuleSet, standardRules, guidedRules, deconvnetRules } from './compiler/rulesets/index.js';
export { deepliftRules } from './compiler/rulesets/deeplift.js';

// Attribution: one shared interface, one file per method.
export type { AttributionMethod, AttributionResult, CommonOptions, ScoreOptions, TargetSpec, MethodKind } from './attribution/types.js';
export { getMethod, methodNames, registerMethod, smoothGrad, smoothGradSquared, varGrad } from './attribution/methods.js';
export { saliency, type SaliencyOptions } from './attribution/gradient/saliency.js';
export { inputXGradient } from './attribution/gradient/input-x-gradient.js';
export { integratedGradients, type IntegratedGradientsOptions } from './attribution/gradient/integrated-gradients.js';
export { guidedBackprop, deconvnet } from './attribution/gradient/guided-backprop.js';
export { deepLift } from './attribution/gradient/deeplift.js';
export { inputGradient } from './attribution/gradient/input-gradient.js';
export * from './attribution/cam/index.js';
export { noiseTunnel, type NoiseAggregation, type NoiseOptions } from './attribution/smoothing.js';
export { quadrature, gaussLegendre, INTEGRATION_RULES, type IntegrationRule } from './attribution/integration.js';
export { resolveBaseline, gaussianBlur, type BaselineSpec } from './attribution/baselines.js';
export { resolveTargets, topK, argmaxRows, softmaxRows } from './attribution/targets.js';
export { defaultCamLayer, requireLayer, camLayer } from './attribution/layers.js';
export * from './attribution/postprocess.js';
export { upsample, upsampleBilinear, upsampleNearest } from './attribution/upsample.js';
export { modelScorer, functionScorer, type Scorer } from './attribution/perturbation/scorer.js';
export { httpScorer } from './attribution/perturbation/http-scorer.js';
export { scorePerturbations, scoreInputs, type PerturbationSource } from './attribution/perturbation/runner.js';

// Formats, conversion and rendering (pure).
export { parseNpy, npyToFloat32, serializeNpy } from './io/npy.js';
export * from './io/preprocess.js';
export * from './convert/index.js';
export { colormapLut, COLORMAPS, type ColormapName } from './render/colormap.js';
export { renderHeatmap, type Heatmap, type HeatmapOptions } from './render/heatmap.js';
