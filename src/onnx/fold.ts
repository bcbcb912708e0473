/**
 * Folds the shape subgraphs that exporters emit (Shape → Gather → Unsqueeze → Concat → Reshape)
 * into constants, once the input shape is fixed.
 *
 * A tensor is static when it is an initializer, the output of `Shape`/`Size`, or computed only from
 * static tensors. Its value comes from a probe run (see `engine/probe.ts`), so no op needs a
 * hand-written evaluator and folding is exactly what ONNX Runtime computes.
 */
import type { Graph } from './graph.js';
import { DataType, type NodeProto } from './proto.js';
import { typedTensor } from './tensors.js';

/** A value learned by running the graph once. */
export interface ProbedValue {
  readonly type: string;
  readonly data: ArrayLike<number | bigint>;
  readonly dims: readonly number[];
}

const SHAPE_ONLY_OPS = new Set(['Shape', 'Size']);
const NEVER_FOLD = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli']);

/** ONNX element type of an ORT type string. */
export function onnxTypeOf(ortType: string): number {
  const table: Record<string, number> = {
    float32: DataType.FLOAT,
    float64: DataType.DOUBLE,
    int64: DataType.INT64,
    int32: DataType.INT32,
    int8: DataType.INT8,
    uint8: DataType.UINT8,
    bool: DataType.BOOL,
    float16: DataType.FLOAT16,
  };
  return table[ortType] ?? 0;
}

/**
 * The nodes whose outputs are static (do not depend on the input's values).
 *
 * @example
 * ```ts
 * const nodes = staticNodes(graph); // e.g. the Shape → Gather → Concat chain of a flatten
 * ```
 */
export function staticNodes(graph: Graph): NodeProto[] {
  const isStatic = new Set<string>([...graph.initializers.keys(), '']);
  const out: NodeProto[] = [];
  for (const n of graph.topoSorted()) {
    if (NEVER_FOLD.has(n.opType ?? '')) continue;
    const inputs = n.input ?? [];
    const foldable = SHAPE_ONLY_OPS.has(n.opType ?? '') || (inputs.length > 0 && inputs.every((i) => isStatic.has(i)));
    if (!foldable) continue;
    out.push(n);
    for (const o of n.output ?? []) if (o) isStatic.add(o);
  }
  return out;
}

/**
 * Replaces static nodes by initializers holding their probed values. Returns how many were folded.
 *
 * @example
 * ```ts
 * const folded = foldStatic(graph, (name) => probe.values.get(name));
 * ```
 */
export function foldStatic(graph: Graph, probedValue: (tensor: string) => ProbedValue | undefined): number {
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const folded = new Set<NodeProto>();
  for (const n of staticNodes(graph)) {
    const outs = (n.output ?? []).filter((o) => o);
    if (outs.some((o) => graphOutputs.has(o))) continue;
    const values = outs.map(probedValue);
    if (values.some((v) => v === undefined || onnxTypeOf((v as ProbedValue).type) === 0)) continue;
    outs.forEach((o, i) => {
      const v = values[i] as ProbedValue;
      graph.initializers.set(o, typedTensor(o, onnxTypeOf(v.type), v.data, v.dims));
    });
    folded.add(n);
  }
  graph.nodes = graph.nodes.filter((n) => !folded.has(n));
  graph.invalidate();
  pruneUnusedInitializers(graph);
  return folded.size;
}

/** Drops initializers that no node reads any more. */
export function pruneUnusedInitializers(graph: Graph): void {
  const used = new Set<string>(graph.outputs.map((o) => o.name));
  for (const n of graph.nodes) for (const i of n.input ?? []) used.add(i);
  for (const name of [...graph.initializers.keys()]) if (!used.has(name)) graph.initializers.delete(name);
}
