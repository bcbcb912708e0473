/**
 * Prepares a model for one concrete input shape: constants as initializers, opset upgraded,
 * batch fixed, shape subgraphs folded, every intermediate shape known.
 *
 * Shapes come from probe runs. For batches above 2 the graph is probed at batch 1 and batch 2 and
 * every dim and every static value is extrapolated linearly in the batch size (shape arithmetic in
 * CNN exports is linear in the batch), so preparing a batch of 32 costs what a batch of 3 would
 * and the probe never holds 32 samples' worth of activations at once.
 */

import { constantsToInitializers } from '../onnx/constants.js';
import type { ProbedValue } from '../onnx/fold.js';
import { foldStatic } from '../onnx/fold.js';
import type { Graph } from '../onnx/graph.js';
import { rebatch } from '../onnx/rebatch.js';
import { COMPILER_OPSET, upgradeOpset } from '../onnx/upgrade.js';
import { type ProbeResult, probeGraph } from './probe.js';
import type { Runtime, SessionOptions } from './runtime.js';

/** A graph fixed to one input shape, with the shape and element type of every tensor. */
export interface PreparedGraph {
  readonly graph: Graph;
  readonly inputShape: readonly number[];
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  readonly types: ReadonlyMap<string, string>;
}

/**
 * `a + (b − a)·(batch − 1)` element-wise: the value at `batch` of something that is `a` at batch 1
 * and `b` at batch 2, or undefined when the two cannot be related that way (different lengths,
 * or a non-integer result for an integer tensor).
 *
 * @example
 * ```ts
 * extrapolate([1, 512], [2, 512], 8); // [8, 512]
 * ```
 */
export function extrapolate(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>, batch: number, integer = true): number[] | undefined {
  if (a.length !== b.length) return undefined;
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) {
    const v1 = Number(a[i]);
    const v2 = Number(b[i]);
    const v = v1 + (v2 - v1) * (batch - 1);
    if (integer && !Number.isSafeInteger(v)) return undefined;
    out[i] = v;
  }
  return out;
}

function extrapolateValue(one: ProbedValue | undefined, two: ProbedValue | undefined, batch: number): ProbedValue | undefined {
  if (!one || !two || one.type !== two.type || one.dims.join() !== two.dims.join()) return undefined;
  const integer = !one.type.startsWith('float');
  if (!integer) {
    // A float static value that changes with the batch is not shape arithmetic: do not fold it.
    for (let i = 0; i < one.data.length; i++) if (one.data[i] !== two.data[i]) return undefined;
    return one;
  }
  const data = extrapolate(one.data, two.data, batch);
  return data ? { type: one.type, data, dims: one.dims } : undefined;
}

function extrapolateShapes(one: ProbeResult, two: ProbeResult, batch: number): Map<string, readonly number[]> {
  const shapes = new Map<string, readonly number[]>();
  for (const [name, dims] of one.shapes) {
    const other = two.shapes.get(name);
    const dimsAtBatch = other ? extrapolate(dims, other, batch) : undefined;
    if (dimsAtBatch?.every((d) => d >= 0)) shapes.set(name, dimsAtBatch);
  }
  return shapes;
}

function normalised(source: Graph): Graph {
  const graph = source.clone();
  constantsToInitializers(graph);
  upgradeOpset(graph, Math.max(graph.opset, COMPILER_OPSET));
  return graph;
}

/**
 * The graph a plain forward session runs for a concrete input shape: normalised and rebatched, but
 * not probed. The probes (two extra sessions and runs) find every intermediate shape for the
 * gradient compiler; ONNX Runtime infers and folds a forward pass's shapes by itself, so a
 * perturbation method's first call skips them (on the bundled MobileNetV2 at batch 32, about 1 s).
 *
 * @example
 * ```ts
 * const graph = forwardGraph(model.graph, [32, 3, 224, 224]);
 * ```
 */
export function forwardGraph(source: Graph, inputShape: readonly number[]): Graph {
  return rebatch(normalised(source), inputShape);
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
  const base = normalised(source);
  const batch = inputShape[0] as number;
  const graph = rebatch(base.clone(), inputShape);
  if (batch <= 2) {
    const probe = await probeGraph(runtime, graph, options);
    foldStatic(graph, (name) => probe.values.get(name));
    return { graph, inputShape: [...inputShape], shapes: probe.shapes, types: probe.types };
  }
  const one = await probeGraph(runtime, rebatch(base.clone(), [1, ...inputShape.slice(1)]), options);
  const two = await probeGraph(runtime, rebatch(base.clone(), [2, ...inputShape.slice(1)]), options);
  foldStatic(graph, (name) => extrapolateValue(one.values.get(name), two.values.get(name), batch));
  return { graph, inputShape: [...inputShape], shapes: extrapolateShapes(one, two, batch), types: one.types };
}
