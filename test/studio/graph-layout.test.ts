/**
 * The graph view's layout: rows per layer (top layer first), no overlaps within a row, children of
 * one parent side by side (ELK's crossing reduction, not the node order), and the per-layer cap.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveSettings } from '../../src/disentangle/graph/settings.js';
import type { ExplanatoryGraph, GraphEdge, GraphNode } from '../../src/disentangle/graph/types.js';
import { layoutGraph } from '../../src/studio/shape/graph-layout.js';

function node(id: number, layer: number, support = 10): GraphNode {
  return { id, layer, filter: id, prior: [0, 0], variance: 1, support };
}

function edge(child: number, parent: number): GraphEdge {
  return { child, parent, displacement: [0, 0], variance: 1 };
}

/** Two parents on layer 1; their children on layer 0 interleaved in id order (a, b, a, b). */
function graph(extra: GraphNode[] = []): ExplanatoryGraph {
  return {
    format: 'lucerna-explanatory-graph',
    version: 1,
    model: { id: 'sha256:x', name: 'm.onnx' },
    inputSize: [32, 32],
    layers: [
      { name: 'low', channels: 8, height: 8, width: 8 },
      { name: 'high', channels: 4, height: 4, width: 4 },
    ],
    settings: resolveSettings({}, 2),
    nodes: [node(0, 0), node(1, 0), node(2, 0), node(3, 0), node(4, 1), node(5, 1), ...extra],
    edges: [edge(0, 4), edge(2, 4), edge(1, 5), edge(3, 5)],
  };
}

describe('studio graph layout', () => {
  it('puts each layer on its own row, top layer first, without overlaps', async () => {
    const layout = await layoutGraph(graph([node(6, 0)]), { nodeSize: 18 });
    const ys = (layer: number) => new Set(layout.nodes.filter((n) => n.layer === layer).map((n) => n.y));
    assert.equal(ys(0).size, 1);
    assert.equal(ys(1).size, 1);
    assert.ok(([...ys(1)][0] as number) < ([...ys(0)][0] as number));
    const row = layout.nodes.filter((n) => n.layer === 0).sort((a, b) => a.x - b.x);
    for (let i = 1; i < row.length; i++) assert.ok((row[i] as { x: number }).x - (row[i - 1] as { x: number }).x >= 18, 'nodes overlap');
    assert.equal(layout.edges.length, 4);
    for (const e of layout.edges) assert.ok(e.y1 < e.y2, 'edges run from the parent above to the child below');
    assert.deepEqual(
      layout.rows.map((r) => r.name),
      ['low', 'high'],
    );
    assert.ok(layout.width >= Math.max(...layout.nodes.map((n) => n.x)));
  });

  it('places the children of one parent side by side', async () => {
    const layout = await layoutGraph(graph());
    const order = layout.nodes
      .filter((n) => n.layer === 0)
      .sort((a, b) => a.x - b.x)
      .map((n) => n.id);
    const parentOf = (id: number) => (id === 0 || id === 2 ? 4 : 5);
    assert.equal(parentOf(order[0] as number), parentOf(order[1] as number), `order ${order}`);
    assert.equal(parentOf(order[2] as number), parentOf(order[3] as number), `order ${order}`);
  });

  it('keeps the best-supported nodes per layer and counts the rest', async () => {
    const layout = await layoutGraph(graph([node(6, 0, 99), node(7, 0, 1)]), { maxNodesPerLayer: 2 });
    const low = layout.nodes.filter((n) => n.layer === 0).map((n) => n.id);
    assert.deepEqual(low.sort(), [0, 6]);
    assert.equal(layout.hidden, 4);
    assert.ok(layout.edges.every((e) => low.includes(e.child)));
  });
});
