/**
 * Inference with an explanatory graph (Zhang et al. 2018, "Interpreting CNN Knowledge via an
 * Explanatory Graph", https://arxiv.org/abs/1708.01785): on a new image, nodes are placed top-down;
 * a node's position is one of its filter's peaks, chosen by the peak's activation and by where the
 * node's parents sit (the same step as the fitting's E-step, `assign.ts`).
 */
import { assignLayer, geometricScore, referencePoint, type WorkNode } from './assign.js';
import type { ExplanatoryGraph, ImagePeaks, NodePositions } from './types.js';

interface WorkLayer {
  readonly ids: number[];
  readonly nodes: WorkNode[];
  readonly byFilter: number[][];
}

const cache = new WeakMap<ExplanatoryGraph, WorkLayer[]>();

function workLayers(graph: ExplanatoryGraph): WorkLayer[] {
  const hit = cache.get(graph);
  if (hit) return hit;
  const local = new Map<number, number>();
  const layers: WorkLayer[] = graph.layers.map((l) => ({ ids: [], nodes: [], byFilter: Array.from({ length: l.channels }, () => []) }));
  for (const n of graph.nodes) {
    const layer = layers[n.layer] as WorkLayer;
    local.set(n.id, layer.ids.length);
    layer.byFilter[n.filter]?.push(layer.ids.length);
    layer.ids.push(n.id);
  }
  const parents = new Map<number, WorkNode['parents'][number][]>();
  for (const e of graph.edges) {
    const list = parents.get(e.child) ?? [];
    list.push({ parent: local.get(e.parent) as number, displacement: e.displacement, variance: e.variance });
    parents.set(e.child, list);
  }
  for (const n of graph.nodes)
    (layers[n.layer] as WorkLayer).nodes.push({ filter: n.filter, prior: n.prior, variance: n.variance, parents: parents.get(n.id) ?? [] });
  cache.set(graph, layers);
  return layers;
}

/**
 * Where every node of `graph` sits on one image (indexed by node id): NaN and value 0 for nodes
 * that did not fire. `peaks` come from {@link imagePeaks} with the graph's `peaksPerFilter`.
 *
 * @example
 * ```ts
 * const at = inferNodePositions(graph, imagePeaks(maps, graph.inputSize, graph.settings.peaksPerFilter));
 * [at.x[7], at.y[7]]; // node 7's position, model-input pixels
 * ```
 */
export function inferNodePositions(graph: ExplanatoryGraph, peaks: ImagePeaks): NodePositions {
  const layers = workLayers(graph);
  const n = graph.nodes.length;
  const out: NodePositions = { x: new Float64Array(n).fill(Number.NaN), y: new Float64Array(n).fill(Number.NaN), value: new Float64Array(n) };
  const top = layers.length - 1;
  const root = referencePoint(peaks[top] ?? [], graph.inputSize);
  const options = { unaryWeight: graph.settings.unaryWeight, gate: graph.settings.gate };
  let above: NodePositions | null = null;
  for (let l = top; l >= 0; l--) {
    const layer = layers[l] as WorkLayer;
    const pos = assignLayer(peaks[l] ?? [], layer.nodes, layer.byFilter, root, above, options);
    layer.ids.forEach((id, k) => {
      out.x[id] = pos.x[k] as number;
      out.y[id] = pos.y[k] as number;
      out.value[id] = pos.value[k] as number;
    });
    above = pos;
  }
  return out;
}

/**
 * Every node's inference score on one image (indexed by node id, 0 where it did not fire): its
 * activation^unaryWeight times exp(−m²/2), with m² the squared Mahalanobis distance between its
 * inferred position and where its fired parents (or, with none, its prior) expect it, the terms
 * `assignLayer` ranks peaks by. It is high where the node fires strongly at the place the graph
 * predicts, our counterpart of the authors' per-image node score (activation near the expected
 * place times the parents' agreement), which their evaluation ranks nodes and images by
 * (`src/metrics/graph-protocol.ts`). The Gaussian is left unnormalised so that a node's score is
 * at most its activation and does not grow with a tighter variance.
 *
 * @example
 * ```ts
 * const at = inferNodePositions(graph, peaks);
 * nodeScores(graph, peaks, at)[7]; // node 7's score on this image
 * ```
 */
export function nodeScores(graph: ExplanatoryGraph, peaks: ImagePeaks, at: NodePositions = inferNodePositions(graph, peaks)): Float64Array {
  const layers = workLayers(graph);
  const out = new Float64Array(graph.nodes.length);
  const top = layers.length - 1;
  const root = referencePoint(peaks[top] ?? [], graph.inputSize);
  const local = (l: number): NodePositions | null => {
    const layer = layers[l];
    if (!layer) return null;
    const pick = (a: Float64Array) => Float64Array.from(layer.ids, (id) => a[id] as number);
    return { x: pick(at.x), y: pick(at.y), value: pick(at.value) };
  };
  for (let l = top; l >= 0; l--) {
    const layer = layers[l] as WorkLayer;
    const above = l < top ? local(l + 1) : null;
    layer.ids.forEach((id, k) => {
      const v = at.value[id] as number;
      if (!(v > 0)) return;
      const g = geometricScore(layer.nodes[k] as WorkNode, at.x[id] as number, at.y[id] as number, root, above);
      out[id] = v ** graph.settings.unaryWeight * Math.exp(-g.mahal / 2);
    });
  }
  return out;
}
