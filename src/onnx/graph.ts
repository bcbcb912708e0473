/**
 * An editable view of an ONNX model: nodes, initializers, inputs and outputs, plus graph queries.
 *
 * Nodes are treated as immutable values: a rewrite replaces a node object instead of mutating it,
 * so {@link Graph.clone} is cheap and weights are shared, never copied.
 */
import { LucernaError, unknownTensorError } from '../errors.js';
import { DataType, type ModelProto, type NodeProto, type TensorProto, toNumber, type ValueInfoProto } from './proto.js';
import { tensorDims } from './tensors.js';

/** A graph input or output: name, element type and dims (a string for a symbolic or unknown dim). */
export interface ValueInfo {
  readonly name: string;
  readonly elemType: number;
  readonly dims: readonly (number | string)[];
  /**
   * True when the model declares no shape at all (rank unknown). Then `dims` is empty but does not
   * mean a scalar, and the value is written back without a shape: declaring rank 0 instead makes
   * onnxruntime-web refuse the graph ("Mismatch between number of inferred and declared dimensions").
   */
  readonly rankUnknown?: boolean;
}

/** Supported range of the default-domain opset. */
export const MIN_OPSET = 11;
export const MAX_OPSET = 21;

function valueInfoOf(v: ValueInfoProto): ValueInfo {
  const tt = v.type?.tensorType;
  const dims = (tt?.shape?.dim ?? []).map((d, i) => {
    if (d.dimValue !== undefined && d.dimValue !== null && toNumber(d.dimValue) > 0) return toNumber(d.dimValue);
    return d.dimParam || `?${i}`;
  });
  return { name: v.name ?? '', elemType: tt?.elemType ?? 0, dims, ...(tt && !tt.shape ? { rankUnknown: true } : {}) };
}

/** Builds a ValueInfoProto from a ValueInfo. */
export function valueInfoProto(v: ValueInfo): ValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: v.elemType,
        shape: v.rankUnknown
          ? undefined
          : { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d.startsWith('?') ? undefined : d })) },
      },
    },
  };
}

/**
 * The editable graph of one model.
 *
 * @example
 * ```ts
 * const g = Graph.fromModel(decodeModel(bytes));
 * console.log(g.nodes.length, g.inputs[0]?.dims);
 * ```
 */
export class Graph {
  nodes: NodeProto[];
  initializers: Map<string, TensorProto>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  opset: number;
  /** The source model, for metadata (ir version, producer, other opset imports). */
  readonly source: ModelProto;
  private index?: { producer: Map<string, NodeProto>; consumers: Map<string, NodeProto[]> };

  private constructor(source: ModelProto, nodes: NodeProto[], inits: Map<string, TensorProto>, inputs: ValueInfo[], outputs: ValueInfo[], opset: number) {
    this.source = source;
    this.nodes = nodes;
    this.initializers = inits;
    this.inputs = inputs;
    this.outputs = outputs;
    this.opset = opset;
  }

  /** Reads a decoded model; checks the opset range. */
  static fromModel(model: ModelProto): Graph {
    const g = model.graph;
    if (!g) throw new LucernaError('NOT_ONNX', 'The model has no graph');
    const opsetEntry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
    const opset = opsetEntry ? toNumber(opsetEntry.version) : 0;
    if (opset < MIN_OPSET || opset > MAX_OPSET) {
      throw new LucernaError(
        'UNSUPPORTED_OPSET',
        `The model uses ONNX opset ${opset}; Lucerna supports opsets ${MIN_OPSET} to ${MAX_OPSET}`,
        opset < MIN_OPSET ? 'Re-export it with opset_version=13 or newer' : 'Re-export it with opset_version=21 or older',
      );
    }
    const inits = new Map<string, TensorProto>();
    for (const t of g.initializer ?? []) inits.set(t.name ?? '', t);
    const nodes = (g.node ?? []).map((n, i) => (n.name ? n : { ...n, name: `${n.opType}_${i}` }));
    const inputs = (g.input ?? []).filter((v) => !inits.has(v.name ?? '')).map(valueInfoOf);
    const outputs = (g.output ?? []).map(valueInfoOf);
    return new Graph(model, nodes, inits, inputs, outputs, opset);
  }

  /** A copy whose node list, initializer map and value lists can be edited without touching this one. */
  clone(): Graph {
    return new Graph(this.source, [...this.nodes], new Map(this.initializers), [...this.inputs], [...this.outputs], this.opset);
  }

  /** Writes the graph back to a ModelProto (initializer bytes are shared). */
  toModel(): ModelProto {
    const otherOpsets = (this.source.opsetImport ?? []).filter((o) => o.domain && o.domain !== 'ai.onnx');
    return {
      irVersion: Math.max(toNumber(this.source.irVersion ?? 7), this.opset >= 21 ? 10 : this.opset >= 19 ? 9 : 8),
      producerName: this.source.producerName ?? 'lucerna',
      producerVersion: this.source.producerVersion ?? '',
      opsetImport: [{ domain: '', version: this.opset }, ...otherOpsets],
      metadataProps: this.source.metadataProps ?? [],
      graph: {
        name: this.source.graph?.name ?? 'graph',
        node: this.nodes,
        initializer: [...this.initializers.values()],
        input: this.inputs.map(valueInfoProto),
        output: this.outputs.map(valueInfoProto),
      },
    };
  }

  /** Call after editing `nodes` directly, so queries rebuild their index. */
  invalidate(): void {
    this.index = undefined;
  }

  private getIndex() {
    if (!this.index) {
      const producer = new Map<string, NodeProto>();
      const consumers = new Map<string, NodeProto[]>();
      for (const n of this.nodes) {
        for (const o of n.output ?? []) if (o) producer.set(o, n);
        for (const i of n.input ?? []) {
          if (!i) continue;
          const list = consumers.get(i);
          if (list) list.push(n);
          else consumers.set(i, [n]);
        }
      }
      this.index = { producer, consumers };
    }
    return this.index;
  }

  /** The node that produces `tensor`, if any. */
  producer(tensor: string): NodeProto | undefined {
    return this.getIndex().producer.get(tensor);
  }

  /** The nodes that read `tensor`. */
  consumers(tensor: string): NodeProto[] {
    return this.getIndex().consumers.get(tensor) ?? [];
  }

  /** True when `name` is an initializer (a weight or constant). */
  isInitializer(name: string): boolean {
    return this.initializers.has(name);
  }

  /** The initializer called `name`; throws when there is none. */
  initializer(name: string): TensorProto {
    const t = this.initializers.get(name);
    if (!t) throw unknownTensorError(name, [...this.initializers.keys()], 'initializer');
    return t;
  }

  /** Dims of an initializer. */
  initializerDims(name: string): number[] {
    return tensorDims(this.initializer(name));
  }

  /** Every activation tensor name: graph inputs and node outputs, in graph order. */
  tensorNames(): string[] {
    const names = this.inputs.map((i) => i.name);
    for (const n of this.nodes) for (const o of n.output ?? []) if (o) names.push(o);
    return names;
  }

  /** True when `name` is a graph input or a node output. */
  hasTensor(name: string): boolean {
    return this.inputs.some((i) => i.name === name) || this.producer(name) !== undefined;
  }

  /** Throws an error with close matches when `name` is not an activation tensor. */
  requireTensor(name: string): void {
    if (!this.hasTensor(name)) throw unknownTensorError(name, this.tensorNames());
  }

  /** The single float image input of the model. */
  primaryInput(): ValueInfo {
    const floats = this.inputs.filter((i) => i.elemType === DataType.FLOAT);
    const first = floats[0];
    if (!first) throw new LucernaError('UNSUPPORTED_MODEL', 'The model has no float32 input', 'Lucerna explains models that take a float32 tensor');
    if (this.inputs.length > 1) {
      throw new LucernaError(
        'UNSUPPORTED_MODEL',
        `The model has ${this.inputs.length} inputs (${this.inputs.map((i) => i.name).join(', ')}); Lucerna supports models with one input`,
      );
    }
    return first;
  }

  /** Nodes in a topological order (ONNX requires it, but we do not trust exporters). */
  topoSorted(): NodeProto[] {
    const available = new Set<string>([...this.inputs.map((i) => i.name), ...this.initializers.keys(), '']);
    const pending = [...this.nodes];
    const out: NodeProto[] = [];
    let progress = true;
    while (pending.length && progress) {
      progress = false;
      for (let i = 0; i < pending.length; ) {
        const n = pending[i] as NodeProto;
        if ((n.input ?? []).every((x) => available.has(x))) {
          out.push(n);
          for (const o of n.output ?? []) available.add(o);
          pending.splice(i, 1);
          progress = true;
        } else i++;
      }
    }
    if (pending.length) {
      const n = pending[0] as NodeProto;
      const missing = (n.input ?? []).filter((x) => !available.has(x));
      throw new LucernaError('UNSUPPORTED_MODEL', `Node "${n.name}" (${n.opType}) reads tensors no node produces: ${missing.join(', ')}`);
    }
    return out;
  }
}
