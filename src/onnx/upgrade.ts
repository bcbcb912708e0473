/**
 * Opset upgrade: rewrites every node whose signature changed between the model's opset and the
 * target opset, then sets the target. (Filled in by the opset-upgrade work.)
 */
import type { Graph } from './graph.js';

/** The opset the compiler emits backward nodes for. Models above it keep their own. */
export const COMPILER_OPSET = 18;

/**
 * Upgrades `graph` in place to `target` (no-op when it is already there or newer).
 *
 * @example
 * ```ts
 * upgradeOpset(graph, 18);
 * ```
 */
export function upgradeOpset(graph: Graph, target: number = COMPILER_OPSET): Graph {
  if (graph.opset >= target) return graph;
  graph.opset = target;
  return graph;
}
