/**
 * Prepares a model for one concrete input shape: constants as initializers, opset upgraded,
 * batch fixed, shape subgraphs folded, every intermediate shape known.
 */
import { constantsToInitializers } from '../onnx/constants.js';
import { foldStatic } from '../onnx/fold.js';
import type { Graph } from '../onnx/graph.js';
import { rebatch } from '../onnx/rebatch.js';
import { COMPILER_OPSET, upgradeOpset } from '../onnx/upgrade.js';
import { probeGraph } from './probe.js';
import type { Runtime, SessionOptions } from './runtime.js';

/** A graph fixed to one input shape, with the shape and element type of every tensor. */
export interface PreparedGraph {
  readonly graph: Graph;
  readonly inputShape: readonly number[];
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  readonly types: ReadonlyMap<string, string>;
}

/**
 * Normalises a model for a concrete input shape.
 *
 * @example
 * ```ts
 * const prepared = await prepareGraph(nodeRuntime, graph, [8, 3, 224, 224]);
 * prepared.shapes.get('/layer4/layer4.1/relu_1/Relu_output_0'); // [8, 512, 7, 7]
 * ```
 */
export async function prepareGraph(runtime: Runtime, source: Graph, inputShape: readonly number[], options: SessionOptions = {}): Promise<PreparedGraph> {
  const graph = source.clone();
  constantsToInitializers(graph);
  upgradeOpset(graph, Math.max(graph.opset, COMPILER_OPSET));
  rebatch(graph, inputShape);
  const probe = await probeGraph(runtime, graph, options);
  // Folding turns static tensors into initializers; every other tensor keeps the probed shape.
  foldStatic(graph, (name) => probe.values.get(name));
  return { graph, inputShape: [...inputShape], shapes: probe.shapes, types: probe.types };
}
