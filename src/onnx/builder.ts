/**
 * A small graph builder: add nodes, constants and initializers with unique names.
 * The compiler emits backward nodes through it; tests and converters build whole models with it.
 */
import { type AttrValue, makeAttributes } from './attributes.js';
import { Graph, type ValueInfo } from './graph.js';
import { DataType, decodeModel, encodeModel, type ModelProto, type NodeProto } from './proto.js';
import { floatTensor, int64Tensor } from './tensors.js';

/** Options of one emitted node. */
export interface OpOptions {
  /** Number of outputs (default 1), or their exact names. */
  readonly outputs?: number | readonly string[];
  /** Node name (default: unique from the op type). */
  readonly name?: string;
  readonly domain?: string;
}

/**
 * Emits nodes into a {@link Graph}, inventing unique tensor and node names.
 *
 * @example
 * ```ts
 * const b = new GraphBuilder(graph, 'grad');
 * const y = b.op('Relu', [x]);
 * ```
 */
export class GraphBuilder {
  private readonly used: Set<string>;
  private counter = 0;
  /** Nodes emitted by this builder, in order. */
  readonly emitted: NodeProto[] = [];

  constructor(
    readonly graph: Graph,
    private readonly prefix = '',
  ) {
    this.used = new Set<string>([...graph.tensorNames(), ...graph.initializers.keys(), ...graph.nodes.map((n) => n.name ?? '')]);
  }

  /** A name not yet used in the graph, built from `hint`. */
  unique(hint: string): string {
    const base = this.prefix ? `${this.prefix}/${hint}` : hint;
    let name = base;
    while (this.used.has(name)) name = `${base}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  /** Adds a node and returns its output names. */
  ops(opType: string, inputs: readonly string[], attrs?: Readonly<Record<string, AttrValue | undefined>>, options: OpOptions = {}): string[] {
    const outs = options.outputs;
    const outputs = Array.isArray(outs) ? [...(outs as string[])] : Array.from({ length: (outs as number | undefined) ?? 1 }, () => this.unique(opType));
    for (const o of outputs) this.used.add(o);
    const node: NodeProto = {
      name: options.name ?? this.unique(`${opType}_node`),
      opType,
      domain: options.domain ?? '',
      input: [...inputs],
      output: outputs,
      attribute: makeAttributes(attrs),
    };
    this.graph.nodes.push(node);
    this.emitted.push(node);
    this.graph.invalidate();
    return outputs;
  }

  /** Adds a node with one output and returns its name. */
  op(opType: string, inputs: readonly string[], attrs?: Readonly<Record<string, AttrValue | undefined>>, options: OpOptions = {}): string {
    return this.ops(opType, inputs, attrs, options)[0] as string;
  }

  /** Adds a float32 initializer and returns its name. */
  constFloat(data: ArrayLike<number>, dims: readonly number[], hint = 'const'): string {
    const name = this.unique(hint);
    this.graph.initializers.set(name, floatTensor(name, data, dims));
    return name;
  }

  /** A float32 scalar constant (rank 0). */
  scalar(value: number, hint = 'scalar'): string {
    return this.constFloat([value], [], hint);
  }

  /** Adds an int64 initializer (a 1-D list by default) and returns its name. */
  constInt64(values: readonly number[], dims: readonly number[] = [values.length], hint = 'ints'): string {
    const name = this.unique(hint);
    this.graph.initializers.set(name, int64Tensor(name, values, dims));
    return name;
  }

  /** Adds a named float32 initializer (a weight). */
  weight(name: string, data: ArrayLike<number>, dims: readonly number[]): string {
    this.used.add(name);
    this.graph.initializers.set(name, floatTensor(name, data, dims));
    return name;
  }
}

/** A new, empty graph at the given opset, for building models from scratch. */
export function emptyGraph(opset = 17, name = 'lucerna'): Graph {
  const source: ModelProto = {
    irVersion: 8,
    producerName: 'lucerna',
    opsetImport: [{ domain: '', version: opset }],
    graph: { name, node: [{ opType: 'Identity', input: ['x'], output: ['y'] }] },
  };
  const g = Graph.fromModel(source);
  g.nodes = [];
  g.inputs = [];
  g.outputs = [];
  g.invalidate();
  return g;
}

/** Description of a model built from scratch by {@link buildModel}. */
export interface ModelSpec {
  readonly opset?: number;
  readonly inputs: readonly { name: string; dims: readonly (number | string)[]; elemType?: number }[];
  /** Output names; dims are learned by ORT at run time. */
  readonly outputs: readonly string[];
  /** Emits the nodes; input tensors are available by name. */
  readonly build: (b: GraphBuilder) => void;
}

/**
 * Builds a model from scratch and returns its bytes — used by tests and converters.
 *
 * @example
 * ```ts
 * const bytes = buildModel({
 *   inputs: [{ name: 'x', dims: [1, 3, 8, 8] }],
 *   outputs: ['y'],
 *   build: (b) => b.op('Relu', ['x'], {}, { outputs: ['y'] }),
 * });
 * ```
 */
export function buildModel(spec: ModelSpec): Uint8Array {
  const g = emptyGraph(spec.opset ?? 17);
  g.inputs = spec.inputs.map((i): ValueInfo => ({ name: i.name, elemType: i.elemType ?? DataType.FLOAT, dims: i.dims }));
  spec.build(new GraphBuilder(g));
  g.outputs = spec.outputs.map((name): ValueInfo => ({ name, elemType: DataType.FLOAT, dims: [], rankUnknown: true }));
  return encodeModel(g.toModel());
}

/** Decodes and wraps model bytes as a {@link Graph}. */
export function graphFromBytes(bytes: Uint8Array, what?: string): Graph {
  return Graph.fromModel(decodeModel(bytes, what));
}
