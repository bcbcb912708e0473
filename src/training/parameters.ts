/**
 * Which initializers train: every float32 initializer of the model that a node reads, except the
 * BatchNorm running statistics and an interpretable CNN's mask β (state, not parameters) and those
 * whose name matches a freeze pattern.
 */
import { LucernaError } from '../errors.js';
import type { Graph } from '../onnx/graph.js';
import { DataType } from '../onnx/proto.js';
import { isMaskState } from './interpretable/mask.js';

/**
 * A glob over parameter names: `*` matches any run of characters (dots included), `?` one character.
 *
 * @example
 * ```ts
 * globMatcher('layer1.*')('layer1.0.conv1.weight'); // true
 * ```
 */
export function globMatcher(pattern: string): (name: string) => boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  const re = new RegExp(`^${source}$`);
  return (name) => re.test(name);
}

/** The BatchNorm running statistics of a graph: inputs 3 and 4 of every BatchNormalization node. */
export function runningStatistics(graph: Graph): string[] {
  const out: string[] = [];
  for (const n of graph.nodes) {
    if (n.opType !== 'BatchNormalization') continue;
    for (const i of [3, 4]) {
      const name = n.input?.[i];
      if (name && graph.isInitializer(name)) out.push(name);
    }
  }
  return out;
}

/** The trainable and frozen parameters of a model. */
export interface ParameterSplit {
  readonly trainable: readonly string[];
  readonly frozen: readonly string[];
}

/**
 * Splits a model's float initializers into trainable and frozen (by the `freeze` globs); throws a
 * clear error when nothing would train.
 *
 * @example
 * ```ts
 * const { trainable } = splitParameters(graph, ['layer1.*']);
 * ```
 */
export function splitParameters(graph: Graph, freeze: readonly string[] = []): ParameterSplit {
  const stats = new Set(runningStatistics(graph));
  const used = new Set(graph.nodes.flatMap((n) => n.input ?? []));
  const frozenBy = freeze.map(globMatcher);
  const trainable: string[] = [];
  const frozen: string[] = [];
  for (const [name, t] of graph.initializers) {
    if (stats.has(name) || isMaskState(name) || !used.has(name) || (t.dataType ?? DataType.FLOAT) !== DataType.FLOAT) continue;
    (frozenBy.some((m) => m(name)) ? frozen : trainable).push(name);
  }
  if (trainable.length === 0) {
    throw new LucernaError(
      'UNSUPPORTED_MODEL',
      frozen.length > 0
        ? `Every parameter matches a --freeze pattern (${freeze.join(', ')}); nothing would train`
        : 'The model has no trainable initializers (float32 weights)',
      frozen.length > 0 ? 'Loosen the --freeze patterns' : 'Export the model with its weights as initializers',
    );
  }
  return { trainable, frozen };
}
