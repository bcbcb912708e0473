/**
 * Folds SGD's momentum update into the matrix product that computes the gradient, where the
 * gradient is one Gemm (ResNet's Gemm-lowered last stage, 1×1 convs, fully connected layers):
 * buf ← μ·buf + g with g = A·B becomes one Gemm(A, B, C = buf, β = μ) (ONNX Gemm computes
 * α·A·B + β·C), so the update reads and writes the buffer once instead of twice (a Mul and an
 * Add over every such parameter). Momentum SGD as in Sutskever et al. 2013
 * (http://proceedings.mlr.press/v28/sutskever13.html) and `torch.optim.SGD`.
 *
 * The pattern is the one `sgd.emit` and the Conv/Gemm rules leave: Add(Mul(buf, μ), g) with buf a
 * graph input, μ a constant scalar, and g = Identity?(Reshape?(Gemm(A, B))) read by nothing else.
 *
 * When the Gemm's [rows, columns] differ from the buffer's own shape, the buffer is carried in the
 * Gemm's shape (graph input and output both; same values, same order): the fused Gemm writes the
 * step's output itself. Reshaping it back to the weight's shape at the output cost ONNX Runtime a
 * full copy per buffer per step (a Reshape into a graph output cannot alias its input), 8.3 M values
 * for ResNet-18's last stage; the update of the weight still reads it through a Reshape, which aliases.
 */
import { attrFloat, attrInt, float } from '../onnx/attributes.js';
import { GraphBuilder } from '../onnx/builder.js';
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/proto.js';
import { readFloats, readInts } from '../onnx/tensors.js';
import { sameShape } from '../tensor/tensor.js';
import { pruneDeadNodes } from './gemm-convs.js';

/** The constant value of a rank-0 or one-element float initializer, if `name` is one. */
function constantScalar(graph: Graph, name: string): number | undefined {
  const t = graph.initializers.get(name);
  if (!t) return undefined;
  const v = readFloats(t);
  return v.length === 1 ? v[0] : undefined;
}

/** The plain two-input Gemm (α = 1, no C) behind `grad` through Identity and Reshape nodes, read only along that chain. */
function gradientGemm(graph: Graph, grad: string): { gemm: NodeProto; reshaped: boolean } | undefined {
  let t = grad;
  let reshaped = false;
  for (;;) {
    if (graph.consumers(t).length !== 1 || graph.outputs.some((o) => o.name === t)) return undefined;
    const n = graph.producer(t);
    if (!n) return undefined;
    if (n.opType === 'Identity' || n.opType === 'Reshape') {
      reshaped ||= n.opType === 'Reshape';
      t = n.input?.[0] ?? '';
      continue;
    }
    const plain = n.opType === 'Gemm' && (n.input ?? []).length === 2 && attrFloat(n, 'alpha', 1) === 1;
    return plain ? { gemm: n, reshaped } : undefined;
  }
}

/** A tensor's static shape: a Reshape's constant target, else `shape`'s answer (undefined when unknown). */
function staticShape(graph: Graph, t: string, shape: (t: string) => readonly number[]): readonly number[] | undefined {
  const n = graph.producer(t);
  const target = n?.opType === 'Reshape' ? graph.initializers.get(n.input?.[1] ?? '') : undefined;
  const dims = target ? Array.from(readInts(target)) : shape(t);
  return dims.length > 0 && dims.every((d) => d > 0) ? dims : undefined;
}

/** The Gemm's output shape [rows, columns], if its operands' shapes are known. */
function gemmShape(graph: Graph, gemm: NodeProto, shape: (t: string) => readonly number[]): [number, number] | undefined {
  const [a, b] = (gemm.input ?? []).map((t) => staticShape(graph, t, shape));
  if (a?.length !== 2 || b?.length !== 2) return undefined;
  const rows = attrInt(gemm, 'transA', 0) ? a[1] : a[0];
  const cols = attrInt(gemm, 'transB', 0) ? b[0] : b[1];
  return [rows as number, cols as number];
}

/**
 * Rewrites every momentum update of `graph` whose gradient is one Gemm into a single Gemm with the
 * buffer as C (see the file comment); returns how many were rewritten.
 *
 * @example
 * ```ts
 * fuseMomentumIntoGemm(stepGraph, (t) => shapes.get(t) ?? stepGraph.initializerDims(t));
 * ```
 */
export function fuseMomentumIntoGemm(graph: Graph, shape: (tensor: string) => readonly number[]): number {
  const b = new GraphBuilder(graph, 'fused');
  const inputs = new Set(graph.inputs.map((i) => i.name));
  const replaced = new Set<NodeProto>();
  for (const add of graph.nodes.filter((n) => n.opType === 'Add')) {
    const [first = '', second = ''] = add.input ?? [];
    const mul = graph.producer(first);
    if (mul?.opType !== 'Mul' || graph.consumers(first).length !== 1) continue;
    const [buf = '', factor = ''] = mul.input ?? [];
    const momentum = constantScalar(graph, factor);
    const found = gradientGemm(graph, second);
    if (!inputs.has(buf) || momentum === undefined || !found) continue;
    const { gemm } = found;
    const bufShape = graph.inputs.find((i) => i.name === buf)?.dims.map(Number) ?? [];
    const flat = found.reshaped ? gemmShape(graph, gemm, shape) : bufShape.length === 2 ? (bufShape as [number, number]) : undefined;
    if (!flat || flat[0] * flat[1] !== bufShape.reduce((p, d) => p * d, 1)) continue;
    const attrs = { transA: attrInt(gemm, 'transA', 0), transB: attrInt(gemm, 'transB', 0), beta: float(momentum) };
    const next = add.output?.[0] ?? '';
    if (sameShape(flat, bufShape)) b.op('Gemm', [...(gemm.input ?? []), buf], attrs, { outputs: [next] });
    else if (carriedFlat(graph, buf, next, flat)) {
      const readers = graph.consumers(next);
      b.op('Gemm', [...(gemm.input ?? []), buf], attrs, { outputs: [next] });
      if (readers.length > 0) readAs(graph, readers, next, b.op('Reshape', [next, b.constInt64(bufShape)]));
    } else {
      const fused = b.op('Gemm', [...(gemm.input ?? []), b.op('Reshape', [buf, b.constInt64(flat)])], attrs);
      b.op('Reshape', [fused, b.constInt64(bufShape)], {}, { outputs: [next] });
    }
    replaced.add(add);
  }
  if (replaced.size > 0) {
    graph.nodes = graph.nodes.filter((n) => !replaced.has(n));
    pruneDeadNodes(graph);
  }
  return replaced.size;
}

/**
 * Declares carried buffer `buf` (a graph input read only by the update) and its next value `next`
 * (a graph output) with the Gemm's `flat` shape; false (and nothing changed) when either is not so.
 */
function carriedFlat(graph: Graph, buf: string, next: string, flat: readonly number[]): boolean {
  if (graph.consumers(buf).length !== 1) return false;
  const input = graph.inputs.findIndex((i) => i.name === buf);
  const output = graph.outputs.findIndex((o) => o.name === next);
  if (input < 0 || output < 0) return false;
  graph.inputs = graph.inputs.map((v, i) => (i === input ? { ...v, dims: [...flat] } : v));
  graph.outputs = graph.outputs.map((v, i) => (i === output ? { ...v, dims: [...flat] } : v));
  return true;
}

/** Points every input `from` of `readers` at `to` (copies of the nodes: graphs share node objects). */
function readAs(graph: Graph, readers: readonly NodeProto[], from: string, to: string): void {
  const swap = new Set(readers);
  graph.nodes = graph.nodes.map((n) => (swap.has(n) ? { ...n, input: (n.input ?? []).map((i) => (i === from ? to : i)) } : n));
  graph.invalidate();
}
