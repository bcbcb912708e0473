/**
 * The HTML view of an explanatory graph: node selection (best-supported per layer, edges among the
 * shown), the ELK layout (top layer above, every node in its layer's row, edges from parent to
 * child) and the page (self-contained, one detail and one highlight rule per node, links between
 * parents and children), on a hand-made graph.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layoutView, selectView } from '../../src/disentangle/graph/layout.js';
import { graphReportHtml } from '../../src/disentangle/graph/report-html.js';
import { resolveSettings } from '../../src/disentangle/graph/settings.js';
import type { ExplanatoryGraph, GraphNode } from '../../src/disentangle/graph/types.js';
import { externalReferences } from '../../src/render/report/self-contained.js';

const node = (id: number, layer: number, filter: number, support: number): GraphNode => ({ id, layer, filter, prior: [0, 0], variance: 4, support });

/** Layer 0: nodes 0–3 (support 9, 2, 7, 5); layer 1: nodes 4–6 (support 8, 1, 6). */
const graph: ExplanatoryGraph = {
  format: 'lucerna-explanatory-graph',
  version: 1,
  model: { id: 'sha256:x', name: 'net.onnx' },
  class: 'bird',
  inputSize: [32, 32],
  layers: [
    { name: 'low', channels: 2, height: 8, width: 8 },
    { name: 'top', channels: 2, height: 4, width: 4 },
  ],
  settings: resolveSettings({ patternsPerFilter: [2, 2], parents: 2 }, 2),
  nodes: [node(0, 0, 0, 9), node(1, 0, 0, 2), node(2, 0, 1, 7), node(3, 0, 1, 5), node(4, 1, 0, 8), node(5, 1, 0, 1), node(6, 1, 1, 6)],
  edges: [
    { child: 0, parent: 4, displacement: [1, 1], variance: 2 },
    { child: 2, parent: 6, displacement: [0, 3], variance: 2 },
    { child: 1, parent: 4, displacement: [0, 0], variance: 2 },
    { child: 3, parent: 5, displacement: [0, 0], variance: 2 },
  ],
};
const png = { png: 'data:image/png;base64,iVBORw0KGgo=', width: 8, height: 8 };

describe('explanatory graph: view', () => {
  it('below the top layer, shows the children of the shown nodes before better-supported strays', () => {
    // Node 3 fired most often of layer 0, but its only parent (5) is not shown.
    const strays = { ...graph, nodes: graph.nodes.map((n) => (n.id === 3 ? { ...n, support: 20 } : n)) };
    assert.deepEqual(
      selectView(strays, 2).nodes.map((n) => n.id),
      [0, 2, 4, 6],
    );
    // With its parent shown, it comes first again.
    assert.deepEqual(
      selectView(strays, 3).nodes.map((n) => n.id),
      [3, 0, 2, 4, 6, 5],
    );
  });

  it('shows the best-supported nodes of the top layer and the edges among the shown', () => {
    const v = selectView(graph, 2);
    assert.deepEqual(
      v.nodes.map((n) => n.id),
      [0, 2, 4, 6],
    );
    assert.deepEqual(
      v.edges.map((e) => [e.child, e.parent]),
      [
        [0, 4],
        [2, 6],
      ],
    );
  });

  it('lays the top layer out above the lower one, edges from parent to child', async () => {
    const v = selectView(graph, 3);
    const layout = await layoutView(v, 2, 60, 30);
    assert.equal(layout.nodes.length, 6);
    const y = new Map(layout.nodes.map((b) => [b.id, b.y]));
    const topRow = Math.max(...[4, 6].map((id) => y.get(id) as number));
    for (const id of [0, 2, 3]) assert.ok((y.get(id) as number) >= topRow + 30, `node ${id} below the top layer`);
    assert.equal(y.get(4), y.get(6));
    assert.ok(layout.width >= 3 * 60 && layout.height >= 2 * 30);
    for (const e of layout.edges) {
      assert.ok(e.points.length >= 2);
      assert.ok((e.points[0]?.[1] as number) < (e.points[e.points.length - 1]?.[1] as number), 'edges run down from the parent');
    }
  });

  it('writes a self-contained page with a detail and a highlight rule per node', async () => {
    const v = selectView(graph, 2);
    const layout = await layoutView(v, 2, 60, 30);
    const visuals = new Map(
      v.nodes.map((n) => [
        n.id,
        { id: n.id, patches: [png, png], examples: [{ image: png, name: 'a.png', node: [3, 4] as const, parents: [[5, 6] as const], children: [] }] },
      ]),
    );
    const html = graphReportHtml({ graph, layout, visuals, images: 12 });
    assert.deepEqual(externalReferences(html), []);
    for (const id of [0, 2, 4, 6]) {
      assert.ok(html.includes(`id="d${id}"`), `detail of node ${id}`);
      assert.ok(html.includes(`.gv:has(#d${id}:target) .rel-${id}`), `highlight rule of node ${id}`);
      assert.ok(html.includes(`href="#d${id}"`));
    }
    assert.ok(!html.includes('id="d1"'), 'an unshown node has no detail');
    // Node 0's detail links its parent 4; node 4's links its child 0; the edge carries both classes.
    const detail = (id: number) => html.slice(html.indexOf(`id="d${id}"`), html.indexOf('<div class="detail"', html.indexOf(`id="d${id}"`) + 1));
    assert.match(detail(0), /Parents<\/b> \(1 shown\): <a href="#d4">/);
    assert.match(detail(4), /Children<\/b> \(1 shown\): <a href="#d0">/);
    assert.match(html, /class="edge rel-0 rel-4"/);
    assert.equal((html.match(/<image /g) ?? []).length, 8);
    assert.doesNotMatch(html, /<script/i);
    assert.match(html, /<title>Explanatory graph: bird<\/title>/);
  });
});
