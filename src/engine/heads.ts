/**
 * Heads: small named computations added after a model's forward graph so a plan can seed or read
 * them, such as `softmax(<tensor>)`.
 */
import { makeAttributes } from '../onnx/attributes.js';
import type { PreparedGraph } from './prepare.js';

/** Matches the head shorthand `softmax(<tensor>)`: a softmax over the last axis of a tensor. */
const SOFTMAX_HEAD = /^softmax\((.+)\)$/;

/**
 * Adds the heads named in a plan (`softmax(logits)`) as nodes after the forward graph, so they can
 * be seeded or read like any tensor.
 *
 * @example
 * ```ts
 * const withSoftmax = withHeads(prepared, ['softmax(logits)']);
 * ```
 */
export function withHeads(prepared: PreparedGraph, names: readonly string[]): PreparedGraph {
  const heads = [...new Set(names)].filter((n) => SOFTMAX_HEAD.test(n) && !prepared.shapes.has(n));
  if (heads.length === 0) return prepared;
  const graph = prepared.graph.clone();
  const shapes = new Map(prepared.shapes);
  const types = new Map(prepared.types);
  for (const head of heads) {
    const source = (SOFTMAX_HEAD.exec(head) as RegExpExecArray)[1] as string;
    graph.requireTensor(source);
    graph.nodes.push({ name: `lucerna/${head}`, opType: 'Softmax', domain: '', input: [source], output: [head], attribute: makeAttributes({ axis: -1 }) });
    shapes.set(head, prepared.shapes.get(source) ?? []);
    types.set(head, 'float32');
  }
  graph.invalidate();
  return { ...prepared, graph, shapes, types };
}
