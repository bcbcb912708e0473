/**
 * Layers as first-class, validated names: the 4-D activation a CAM method reads, checked against
 * the model's graph with clear errors, and the default layer found from the graph's structure.
 */
import type { Model } from '../engine/model.js';
import type { PreparedGraph } from '../engine/prepare.js';
import { LucernaError, unknownTensorError } from '../errors.js';
import { attrInt, attrInts } from '../onnx/attributes.js';
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/proto.js';
import { readInts } from '../onnx/tensors.js';
import { formatShape } from '../tensor/tensor.js';

/** A validated layer: its tensor name and its shape [1, C, h, w] for a batch of one. */
export interface LayerInfo {
  readonly name: string;
  readonly shape: readonly [number, number, number, number];
}

/** Pooling ops that always reduce the whole spatial extent. */
const GLOBAL_POOLS = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool']);
/** Windowed pools, global when their output is 1×1. */
const WINDOW_POOLS = new Set(['AveragePool', 'MaxPool', 'LpPool']);

function prepareForBatchOfOne(model: Model, inputShape?: readonly number[]): Promise<PreparedGraph> {
  const shape = inputShape ? [1, ...inputShape.slice(1)] : model.inputShape(1);
  return model.prepare(shape);
}

function isFloat4D(prepared: PreparedGraph, tensor: string): boolean {
  return prepared.types.get(tensor) === 'float32' && prepared.shapes.get(tensor)?.length === 4;
}

function hasSpatialExtent(prepared: PreparedGraph, tensor: string): boolean {
  const s = prepared.shapes.get(tensor);
  return isFloat4D(prepared, tensor) && (s?.[2] as number) * (s?.[3] as number) > 1;
}

/**
 * The axes a Reduce* node reduces (from its `axes` attribute or, at newer opsets, its second
 * input), normalised to be non-negative. An empty list means every axis.
 *
 * @example
 * ```ts
 * reduceAxes(reduceMeanNode, graph, 4); // [2, 3]
 * ```
 */
export function reduceAxes(node: NodeProto, graph: Graph, rank: number): number[] {
  const axesInput = node.input?.[1];
  let axes = attrInts(node, 'axes', []);
  if (axesInput && graph.isInitializer(axesInput)) axes = readInts(graph.initializer(axesInput));
  if (axes.length === 0 && !attrInt(node, 'noop_with_empty_axes', 0)) axes = Array.from({ length: rank }, (_, i) => i);
  return [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

/** True when `node` pools its 4-D input over the whole of H and W. */
function isGlobalPool(node: NodeProto, prepared: PreparedGraph): boolean {
  const input = node.input?.[0] ?? '';
  if (!hasSpatialExtent(prepared, input)) return false;
  const op = node.opType ?? '';
  if (GLOBAL_POOLS.has(op)) return true;
  if (op.startsWith('Reduce')) {
    const axes = reduceAxes(node, prepared.graph, 4);
    return axes.includes(2) && axes.includes(3);
  }
  if (WINDOW_POOLS.has(op)) {
    const out = prepared.shapes.get(node.output?.[0] ?? '');
    return out?.length === 4 && out[2] === 1 && out[3] === 1;
  }
  return false;
}

/** Every float 4-D activation of the prepared graph, in graph order. */
function fourDActivations(prepared: PreparedGraph): string[] {
  return prepared.graph.tensorNames().filter((t) => isFloat4D(prepared, t));
}

function findDefaultLayer(prepared: PreparedGraph): string | undefined {
  const nodes = prepared.graph.topoSorted();
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k] as NodeProto;
    if (isGlobalPool(n, prepared)) return n.input?.[0] as string;
  }
  return fourDActivations(prepared)
    .filter((t) => hasSpatialExtent(prepared, t))
    .at(-1);
}

/**
 * The default CAM layer: the input of the model's last global pooling (GlobalAveragePool,
 * GlobalMaxPool, a ReduceMean/ReduceMax over H and W, or a pool with a 1×1 output), that is, the
 * last 4-D activation before the classifier head. Without such a pool, the last 4-D activation
 * with a spatial extent.
 *
 * @example
 * ```ts
 * await defaultCamLayer(resnet18); // '/layer4/layer4.1/relu_1/Relu_output_0'
 * ```
 */
export async function defaultCamLayer(model: Model, inputShape?: readonly number[]): Promise<string> {
  const layer = findDefaultLayer(await prepareForBatchOfOne(model, inputShape));
  if (!layer) {
    throw new LucernaError('UNSUPPORTED_MODEL', `${model.name} has no 4-D activation with a spatial extent, so CAM methods have no layer to explain`);
  }
  return layer;
}

/** The tensor a node name stands for: its only output. */
function nodeOutput(graph: Graph, name: string): string | undefined {
  const node = graph.nodes.find((n) => n.name === name);
  const outs = (node?.output ?? []).filter((o) => o);
  return outs.length === 1 ? outs[0] : undefined;
}

function notAnActivation(model: Model, prepared: PreparedGraph, name: string): LucernaError {
  if (model.graph.isInitializer(name)) {
    return new LucernaError(
      'BAD_OPTION',
      `"${name}" is a weight of the model, not an activation`,
      'Pass the name of a 4-D activation tensor, such as a Conv or Relu output',
    );
  }
  if (model.graph.hasTensor(name) || prepared.graph.isInitializer(name)) {
    return new LucernaError('BAD_OPTION', `"${name}" is a constant of the model: it does not depend on the input`, 'Pass the name of a 4-D activation tensor');
  }
  return unknownTensorError(name, fourDActivations(prepared), 'layer');
}

/**
 * Every layer a CAM method can read, in graph order: the float 4-D activations with a spatial
 * extent (what a layer picker offers).
 *
 * @example
 * ```ts
 * (await camLayers(tinyCnn)).map((l) => l.name); // ['/conv1/Conv_output_0', '/relu1/Relu_output_0', …]
 * ```
 */
export async function camLayers(model: Model, inputShape?: readonly number[]): Promise<LayerInfo[]> {
  const prepared = await prepareForBatchOfOne(model, inputShape);
  const order = prepared.graph.topoSorted().flatMap((n) => n.output ?? []);
  return order.filter((t) => t && hasSpatialExtent(prepared, t)).map((t) => ({ name: t, shape: prepared.shapes.get(t) as unknown as LayerInfo['shape'] }));
}

/**
 * Validates a layer name (an activation tensor, or a node with one output): it must be a float
 * 4-D [N, C, h, w] activation of the model. Unknown names get the closest layer names. `who` names
 * the caller in the messages ("CAM methods need", "the decision tree needs" …).
 *
 * @example
 * ```ts
 * const { name, shape } = await requireLayer(model, '/relu2/Relu_output_0'); // shape [1, 16, 16, 16]
 * ```
 */
export async function requireLayer(model: Model, name: string, inputShape?: readonly number[], who = 'CAM methods need'): Promise<LayerInfo> {
  const prepared = await prepareForBatchOfOne(model, inputShape);
  const tensor = prepared.graph.hasTensor(name) ? name : nodeOutput(model.graph, name);
  if (!tensor || !prepared.graph.hasTensor(tensor)) throw notAnActivation(model, prepared, tensor ?? name);
  const shape = prepared.shapes.get(tensor) ?? [];
  const type = prepared.types.get(tensor);
  if (type !== 'float32') {
    throw new LucernaError('BAD_DTYPE', `Layer "${tensor}" holds ${type ?? 'unknown'} values; ${who} a float32 activation`);
  }
  if (shape.length !== 4) {
    const suggestion = findDefaultLayer(prepared);
    throw new LucernaError(
      'BAD_SHAPE',
      `Layer "${tensor}" has shape ${formatShape(shape)} (rank ${shape.length}); ${who} a 4-D [N, C, h, w] activation`,
      suggestion ? `Pick a convolutional layer, such as "${suggestion}"` : 'Pick a convolutional layer',
    );
  }
  return { name: tensor, shape: shape as unknown as LayerInfo['shape'] };
}

/**
 * The layer a CAM method uses: `name` validated, or {@link defaultCamLayer} when it is undefined.
 *
 * @example
 * ```ts
 * const layer = await camLayer(model, options.layer, x.shape);
 * ```
 */
export async function camLayer(model: Model, name: string | undefined, inputShape?: readonly number[]): Promise<LayerInfo> {
  return requireLayer(model, name ?? (await defaultCamLayer(model, inputShape)), inputShape);
}
