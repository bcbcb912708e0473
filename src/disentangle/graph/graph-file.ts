/**
 * Reading and checking `graph.json` (format documented in `types.ts`), and refusing a graph that
 * was mined from another model.
 */
import { LucernaError } from '../../errors.js';
import type { ExplanatoryGraph } from './types.js';

/**
 * Parses and checks a graph file's text (format and version, node and edge references).
 *
 * @example
 * ```ts
 * const graph = parseGraph(await readFile('graph.json', 'utf8'), 'graph.json');
 * ```
 */
export function parseGraph(text: string, where = 'graph.json'): ExplanatoryGraph {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new LucernaError('BAD_FILE', `${where} is not JSON`, 'Give a graph.json written by lucerna graph build');
  }
  const g = json as Partial<ExplanatoryGraph>;
  if (g?.format !== 'lucerna-explanatory-graph')
    throw new LucernaError('BAD_FILE', `${where} is not an explanatory graph`, 'Give a graph.json written by lucerna graph build');
  if (g.version !== 1) throw new LucernaError('BAD_FILE', `${where} has graph format version ${g.version}; this Lucerna reads version 1`);
  const ok =
    Array.isArray(g.nodes) &&
    Array.isArray(g.edges) &&
    Array.isArray(g.layers) &&
    Array.isArray(g.inputSize) &&
    typeof g.model?.id === 'string' &&
    g.nodes.every((n, i) => n.id === i && n.layer >= 0 && n.layer < (g.layers?.length ?? 0)) &&
    g.edges.every((e) => g.nodes?.[e.child] !== undefined && g.nodes?.[e.parent]?.layer === (g.nodes?.[e.child]?.layer ?? -2) + 1);
  if (!ok) throw new LucernaError('BAD_FILE', `${where} is damaged: its nodes, edges or layers do not fit together`);
  return g as ExplanatoryGraph;
}

/**
 * Throws unless `graph` was mined from the model with identity `modelId`.
 *
 * @example
 * ```ts
 * checkGraphModel(graph, 'sha256:…', 'net.onnx');
 * ```
 */
export function checkGraphModel(graph: ExplanatoryGraph, modelId: string, modelName: string): void {
  if (graph.model.id !== modelId)
    throw new LucernaError(
      'BAD_OPTION',
      `The graph was built from another model (${graph.model.name}), not ${modelName}`,
      'Use the model the graph was built from, or build a new graph',
    );
}
