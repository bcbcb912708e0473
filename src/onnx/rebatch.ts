/**
 * Fixes a model's input shape to a concrete one (batch size and any symbolic dims).
 *
 * Exporters often bake the batch size into the shape constants of Reshape nodes when the batch
 * dimension was static at export time; those leading entries are rewritten to the new batch size.
 */
import { LucernaError } from '../errors.js';
import type { Graph } from './graph.js';
import { formatShapeList } from './shape-format.js';
import { int64Tensor, readInts } from './tensors.js';

/**
 * Sets the primary input to `shape` (which must agree with every static dim except the batch).
 *
 * @example
 * ```ts
 * rebatch(graph, [8, 3, 224, 224]);
 * ```
 */
export function rebatch(graph: Graph, shape: readonly number[]): Graph {
  const input = graph.primaryInput();
  if (input.dims.length !== shape.length) {
    throw new LucernaError(
      'BAD_SHAPE',
      `The model expects a rank-${input.dims.length} input ${formatShapeList(input.dims)}, got ${formatShapeList(shape)}`,
      `Pass an input of shape ${formatShapeList(input.dims)}`,
    );
  }
  input.dims.forEach((d, i) => {
    if (i > 0 && typeof d === 'number' && d !== shape[i]) {
      throw new LucernaError(
        'BAD_SHAPE',
        `The model expects input shape ${formatShapeList(input.dims)}, got ${formatShapeList(shape)}`,
        `Resize the input to ${formatShapeList(input.dims.slice(1))} per sample`,
      );
    }
  });
  const oldBatch = input.dims[0];
  const newBatch = shape[0] as number;
  graph.inputs = graph.inputs.map((v) => (v.name === input.name ? { ...v, dims: [...shape] } : v));
  graph.outputs = graph.outputs.map((v) => ({ ...v, dims: v.dims.map((_, i) => `?${i}`) }));
  if (typeof oldBatch === 'number' && oldBatch !== newBatch) rewriteBakedBatch(graph, oldBatch, newBatch);
  return graph;
}

/**
 * The tensors whose values depend on the values of the graph inputs. Shape and Size outputs do not:
 * they are static once the input shape is fixed.
 *
 * @example
 * ```ts
 * inputDependentTensors(graph).has('/Flatten_output_0'); // true
 * ```
 */
export function inputDependentTensors(graph: Graph): Set<string> {
  const dependent = new Set(graph.inputs.map((i) => i.name));
  for (const n of graph.topoSorted()) {
    if (n.opType === 'Shape' || n.opType === 'Size') continue;
    if (!(n.input ?? []).some((i) => dependent.has(i))) continue;
    for (const o of n.output ?? []) if (o) dependent.add(o);
  }
  return dependent;
}

/**
 * Rewrites Reshape shape constants whose leading entry is the old static batch size, when the
 * reshaped tensor carries the batch (depends on the input's values). A Reshape of a weight to
 * [1, C, 1, 1] or of a shape value to [1] keeps its constant. Each rewritten Reshape gets its own
 * new constant, so a constant shared with other nodes is never changed under them.
 */
function rewriteBakedBatch(graph: Graph, oldBatch: number, newBatch: number): void {
  const dependent = inputDependentTensors(graph);
  const taken = new Set([...graph.initializers.keys(), ...graph.tensorNames()]);
  graph.nodes = graph.nodes.map((n) => {
    const [data, shapeName] = n.input ?? [];
    if (n.opType !== 'Reshape' || !data || !shapeName || !dependent.has(data) || !graph.isInitializer(shapeName)) return n;
    const values = readInts(graph.initializer(shapeName));
    if (values[0] !== oldBatch) return n;
    let name = `${shapeName}/batch_${newBatch}`;
    for (let i = 1; taken.has(name); i++) name = `${shapeName}/batch_${newBatch}_${i}`;
    taken.add(name);
    const fixed = [newBatch, ...values.slice(1)];
    graph.initializers.set(name, int64Tensor(name, fixed, [fixed.length]));
    return { ...n, input: [data, name, ...(n.input ?? []).slice(2)] };
  });
  graph.invalidate();
}
