/**
 * A plain-data summary of a model: metadata, inputs and outputs, every node with its output shapes,
 * parameter count and the tensors that make good Grad-CAM layers. Isomorphic (no Node imports), so
 * the CLI's `inspect` and the HTML report render the same data.
 */
import type { Graph, ValueInfo } from './graph.js';
import { DataType, type NodeProto, type TensorProto, toNumber } from './proto.js';
import { tensorDims } from './tensors.js';

/** A graph input or output: declared dims (strings are symbolic) and, when probed, the concrete shape. */
export interface TensorSummary {
  readonly name: string;
  readonly type: string;
  readonly dims: readonly (number | string)[];
  readonly shape?: readonly number[];
}

/** One output tensor of a node. */
export interface OutputSummary {
  readonly name: string;
  readonly type?: string;
  readonly shape?: readonly number[];
  /** True when the value does not depend on the input (a constant, or folded shape arithmetic). */
  readonly constant: boolean;
  /** `layer`: a float 4-D activation with a spatial extent, usable by CAM methods; `default`: the one they use by default. */
  readonly cam?: 'layer' | 'default';
}

/** One node of the graph, in graph order. */
export interface NodeSummary {
  readonly name: string;
  readonly opType: string;
  /** Empty for the default ONNX domain. */
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly OutputSummary[];
}

/** Whether shapes were learned by a probe run, and for which input shape; or why not. */
export type ShapeInfo = { readonly probed: true; readonly inputShape: readonly number[] } | { readonly probed: false; readonly reason: string };

/** Everything `lucerna inspect` shows. */
export interface ModelSummary {
  readonly producer: string;
  readonly producerVersion: string;
  readonly irVersion: number;
  readonly opset: number;
  /** Opsets of other domains the model imports. */
  readonly otherOpsets: readonly { readonly domain: string; readonly version: number }[];
  /** Number of values in float initializers (the weights). */
  readonly parameters: number;
  readonly initializers: number;
  readonly inputs: readonly TensorSummary[];
  readonly outputs: readonly TensorSummary[];
  readonly shapes: ShapeInfo;
  readonly nodes: readonly NodeSummary[];
  /** How many nodes of each op type, most frequent first. */
  readonly opCounts: Readonly<Record<string, number>>;
  /** Tensors CAM methods can explain (float 4-D activations with h·w > 1), in graph order. */
  readonly camLayers: readonly string[];
  readonly defaultCamLayer?: string;
}

/** Shapes learned by a probe run (an engine `PreparedGraph` fits). */
export interface ProbedGraph {
  /** The graph after folding: tensors it no longer has were constants. */
  readonly graph: Pick<Graph, 'hasTensor'>;
  readonly inputShape: readonly number[];
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  /** ONNX Runtime element type names (`float32`, `int64`…). */
  readonly types: ReadonlyMap<string, string>;
}

/** What a summary can add to the bare graph. */
export interface SummaryOptions {
  /** The graph prepared for one input shape: shapes and types of every tensor. */
  readonly prepared?: ProbedGraph;
  /** Why there is no prepared graph (shown instead of shapes). */
  readonly shapesUnknown?: string;
  /** The layer CAM methods use by default (from `defaultCamLayer`). */
  readonly defaultCamLayer?: string;
}

const TYPE_NAMES: Readonly<Record<number, string>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.UINT8]: 'uint8',
  [DataType.INT8]: 'int8',
  [DataType.INT32]: 'int32',
  [DataType.INT64]: 'int64',
  [DataType.BOOL]: 'bool',
  [DataType.FLOAT16]: 'float16',
  [DataType.DOUBLE]: 'float64',
};
const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE]);

/**
 * The element type name of an ONNX data type, as ONNX Runtime spells it.
 *
 * @example
 * ```ts
 * elementTypeName(1); // 'float32'
 * ```
 */
export function elementTypeName(type: number | null | undefined): string {
  return TYPE_NAMES[type ?? 0] ?? `type ${type ?? 0}`;
}

function numel(t: TensorProto): number {
  return tensorDims(t).reduce((a, b) => a * b, 1);
}

/**
 * The non-batch input dims that are symbolic (by position and name); shapes cannot be probed without
 * fixing them.
 *
 * @example
 * ```ts
 * symbolicInputDims({ name: 'x', elemType: 1, dims: ['N', 3, 'H', 'W'] }); // [{ index: 2, name: 'H' }, { index: 3, name: 'W' }]
 * ```
 */
export function symbolicInputDims(input: ValueInfo): { index: number; name: string }[] {
  return input.dims.flatMap((d, index) => (index > 0 && typeof d === 'string' ? [{ index, name: d.startsWith('?') ? '?' : d }] : []));
}

function tensorSummary(v: ValueInfo, prepared: ProbedGraph | undefined): TensorSummary {
  const shape = prepared?.shapes.get(v.name);
  return { name: v.name, type: elementTypeName(v.elemType), dims: [...v.dims], ...(shape ? { shape: [...shape] } : {}) };
}

function constantValue(node: NodeProto): TensorProto | undefined {
  return node.opType === 'Constant' ? (node.attribute?.find((a) => a.name === 'value')?.t ?? undefined) : undefined;
}

function isCamLayer(prepared: ProbedGraph | undefined, tensor: string): boolean {
  const shape = prepared?.shapes.get(tensor);
  if (!prepared || !shape || shape.length !== 4 || prepared.types.get(tensor) !== 'float32') return false;
  return prepared.graph.hasTensor(tensor) && (shape[2] as number) * (shape[3] as number) > 1;
}

function outputSummary(node: NodeProto, name: string, options: SummaryOptions): OutputSummary {
  const { prepared } = options;
  const value = constantValue(node);
  if (value) return { name, type: elementTypeName(value.dataType), shape: tensorDims(value), constant: true };
  const shape = prepared?.shapes.get(name);
  const type = prepared?.types.get(name);
  const constant = prepared !== undefined && !prepared.graph.hasTensor(name);
  const cam = name === options.defaultCamLayer ? 'default' : isCamLayer(prepared, name) ? 'layer' : undefined;
  return { name, ...(type ? { type } : {}), ...(shape ? { shape: [...shape] } : {}), constant, ...(cam ? { cam } : {}) };
}

function countOps(nodes: readonly NodeProto[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const n of nodes) counts.set(n.opType ?? '', (counts.get(n.opType ?? '') ?? 0) + 1);
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/**
 * Summarises a model. Pass the graph prepared for one input shape to get shapes and Grad-CAM layers.
 *
 * @example
 * ```ts
 * const prepared = await model.prepare(model.inputShape(1));
 * const summary = summarizeModel(model.graph, { prepared, defaultCamLayer: await defaultCamLayer(model) });
 * summary.camLayers; // ['/conv1/Conv_output_0', '/relu1/Relu_output_0', ...]
 * ```
 */
export function summarizeModel(graph: Graph, options: SummaryOptions = {}): ModelSummary {
  const { prepared } = options;
  const source = graph.source;
  const floatInits = [...graph.initializers.values()].filter((t) => FLOAT_TYPES.has(t.dataType ?? 0));
  const nodes = graph.nodes.map(
    (n): NodeSummary => ({
      name: n.name ?? '',
      opType: n.opType ?? '',
      domain: n.domain && n.domain !== 'ai.onnx' ? n.domain : '',
      inputs: [...(n.input ?? [])],
      outputs: (n.output ?? []).filter((o) => o).map((o) => outputSummary(n, o, options)),
    }),
  );
  const camLayers = nodes.flatMap((n) => n.outputs.filter((o) => o.cam).map((o) => o.name));
  const shapes: ShapeInfo = prepared
    ? { probed: true, inputShape: [...prepared.inputShape] }
    : { probed: false, reason: options.shapesUnknown ?? 'the model was not run' };
  return {
    producer: source.producerName ?? '',
    producerVersion: source.producerVersion ?? '',
    irVersion: toNumber(source.irVersion),
    opset: graph.opset,
    otherOpsets: (source.opsetImport ?? [])
      .filter((o) => o.domain && o.domain !== 'ai.onnx')
      .map((o) => ({ domain: o.domain ?? '', version: toNumber(o.version) })),
    parameters: floatInits.reduce((sum, t) => sum + numel(t), 0),
    initializers: graph.initializers.size,
    inputs: graph.inputs.map((v) => tensorSummary(v, prepared)),
    outputs: graph.outputs.map((v) => tensorSummary(v, prepared)),
    shapes,
    nodes,
    opCounts: countOps(graph.nodes),
    camLayers,
    ...(options.defaultCamLayer ? { defaultCamLayer: options.defaultCamLayer } : {}),
  };
}
