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

/** Rewrites Reshape shape constants whose leading entry is the old static batch size. */
function rewriteBakedBatch(graph: Graph, oldBatch: number, newBatch: number): void {
  for (const n of graph.nodes) {
    if (n.opType !== 'Reshape') continue;
    const shapeName = n.input?.[1];
    if (!shapeName || !graph.isInitializer(shapeName)) continue;
    const values = readInts(graph.initializer(shapeName));
    if (values[0] !== oldBatch) continue;
    const fixed = [newBatch, ...values.slice(1)];
    graph.initializers.set(shapeName, int64Tensor(shapeName, fixed, [fixed.length]));
  }
}
