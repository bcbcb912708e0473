/**
 * Lucerna's isomorphic core: ONNX graphs, the gradient compiler and the engine interface.
 * Nothing here imports Node-only modules; `lucerna/node` adds the Node runtime and file I/O.
 */

export { deconvnetRules, guidedRules, resolveRuleSet, ruleSets, standardRules } from './compiler/rulesets/index.js';
export { extendRuleSet, type RuleSet, type VjpContext, type VjpRule } from './compiler/vjp.js';
export { CompiledGradient, type GradientPlan, type GradientResult, Model, type ModelOptions } from './engine/model.js';
export { ortRuntime } from './engine/ort-adapter.js';
export { getDefaultRuntime, type Runtime, type RuntimeSession, type SessionOptions, setDefaultRuntime } from './engine/runtime.js';
export * from './errors.js';
export { float, floats } from './onnx/attributes.js';
export { buildModel, emptyGraph, GraphBuilder, graphFromBytes, type ModelSpec } from './onnx/builder.js';
export { Graph, MAX_OPSET, MIN_OPSET, type ValueInfo } from './onnx/graph.js';
export { decodeModel, encodeModel } from './onnx/proto.js';
export * from './tensor/tensor.js';
