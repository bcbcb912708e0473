/**
 * Heads: small named computations added after a model's forward graph so a plan can seed or read
 * them, such as `softmax(<tensor>)` and `log_softmax(<tensor>)`.
 */
import { makeAttributes } from '../onnx/attributes.js';
import type { PreparedGraph } from './prepare.js';

/** Matches the head shorthands `softmax(<tensor>)` and `log_softmax(<tensor>)`: over the last axis of a tensor. */
const HEAD = /^(softmax|log_softmax)\((.+)\)$/;
/** The ONNX operator of each head shorthand. */
const HEAD_OPS: Readonly<Record<string, string>> = { softmax: 'Softmax', log_softmax: 'LogSoftmax' };

/**
 * Adds the heads named in a plan (`softmax(logits)`, `log_softmax(logits)`) as nodes after the
 * forward graph, so they can be seeded or read like any tensor.
 *
 * @example
 * ```ts
 * const withSoftmax = withHeads(prepared, ['softmax(logits)']);
 * ```
 */
export function withHeads(prepared: PreparedGraph, names: readonly string[]): PreparedGraph {
  const heads = [...new Set(names)].filter((n) => HEAD.test(n) && !prepared.shapes.has(n));
  if (heads.length === 0) return prepared;
  const graph = prepared.graph.clone();
  const shapes = new Map(prepared.shapes);
  const types = new Map(prepared.types);
  for (const head of heads) {
    const [, kind, source] = HEAD.exec(head) as unknown as [string, string, string];
    graph.requireTensor(source);
    graph.nodes.push({
      name: `lucerna/${head}`,
      opType: HEAD_OPS[kind] as string,
      domain: '',
      input: [source],
      output: [head],
      attribute: makeAttributes({ axis: -1 }),
    });
    shapes.set(head, prepared.shapes.get(source) ?? []);
    types.set(head, 'float32');
  }
  graph.invalidate();
  return { ...prepared, graph, shapes, types };
}
