/**
 * The HTML view of an explanatory graph (Zhang et al. 2018, "Interpreting CNN Knowledge via an
 * Explanatory Graph", https://arxiv.org/abs/1708.01785), built on the report kit: the laid-out
 * layers of nodes (`layout.ts`), each node drawn with the image patches where it fires most; a
 * click on a node highlights its parents, its children and the edges between them, and shows the
 * images it explains with where it and they sit. Self-contained and script-free like every report:
 * the click is a `#fragment` link, and CSS (`:target`, `:has`) does the highlighting.
 */
import { escapeHtml } from '../../render/report/escape.js';
import { formatCount } from '../../render/report/format.js';
import { page } from '../../render/report/page.js';
import { settingsTable, table } from '../../render/report/table.js';
import type { InlineImage } from '../../render/report/types.js';
import type { GraphLayout } from './layout.js';
import type { ExplanatoryGraph } from './types.js';

/** One image a node explains: the image and where the node, its parents and children sit on it. */
export interface NodeExample {
  readonly image: InlineImage;
  /** Its name in the data set. */
  readonly name: string;
  /** Positions in model-input pixels. */
  readonly node: readonly [number, number];
  readonly parents: readonly (readonly [number, number])[];
  readonly children: readonly (readonly [number, number])[];
}

/** What the view shows of one node. */
export interface NodeVisual {
  readonly id: number;
  /** Patches of the images where it fires most, best first. */
  readonly patches: readonly InlineImage[];
  readonly examples: readonly NodeExample[];
}

/** Everything the page needs. */
export interface GraphReportData {
  readonly graph: ExplanatoryGraph;
  readonly layout: GraphLayout;
  readonly visuals: ReadonlyMap<number, NodeVisual>;
  /** Images of the class the patches come from. */
  readonly images: number;
  readonly version?: string;
}

const LABEL_WIDTH = 96;
const PATCH = 40;

const CSS = `
.gv{display:grid;grid-template-columns:minmax(0,3fr) minmax(260px,1fr);gap:16px;align-items:start}
.gv svg.graph{width:100%;height:auto;display:block}
.gv .edge{fill:none;stroke:#8a94a6;stroke-opacity:.45;stroke-width:1.2}
.gv .node rect{fill:#fff;stroke:#c4cad4;stroke-width:1}
.gv .node text,.gv .layer-label{font:11px system-ui,sans-serif;fill:#333}
.gv .layer-label{font-weight:600}
.gv a:hover .node rect{stroke:#2b6cb0;stroke-width:2}
.gv:has(.detail:target) .edge,.gv:has(.detail:target) .node{opacity:.2}
.gv .detail{display:none}
.gv .detail:target{display:block}
.gv .details{position:sticky;top:8px}
.gv .details:has(.detail:target) .hint{display:none}
.gv .examples{display:flex;flex-wrap:wrap;gap:8px}
.gv .example{position:relative;width:112px}
.gv .example img,.gv .example svg{width:112px;height:112px;display:block}
.gv .example svg{position:absolute;left:0;top:0}
.gv .legend span{display:inline-block;margin-right:10px}
.gv .dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:4px;vertical-align:middle}
`;

/** The CSS that highlights node `id`'s neighbourhood when its detail is the target. */
function highlightRule(id: number): string {
  const when = `.gv:has(#d${id}:target)`;
  return `${when} .rel-${id}{opacity:1}${when} .edge.rel-${id}{stroke:#e4572e;stroke-opacity:.9;stroke-width:2}${when} .self-${id} rect{stroke:#e4572e;stroke-width:3}`;
}

function neighbours(graph: ExplanatoryGraph, shown: ReadonlySet<number>) {
  const parents = new Map<number, number[]>();
  const children = new Map<number, number[]>();
  for (const e of graph.edges) {
    if (!shown.has(e.child) || !shown.has(e.parent)) continue;
    parents.set(e.child, [...(parents.get(e.child) ?? []), e.parent]);
    children.set(e.parent, [...(children.get(e.parent) ?? []), e.child]);
  }
  return { parents, children };
}

function nodeLabel(graph: ExplanatoryGraph, id: number): string {
  const n = graph.nodes[id];
  return n ? `${graph.layers[n.layer]?.name} · filter ${n.filter} · node ${id}` : `node ${id}`;
}

function svgGraph(data: GraphReportData, rel: Map<number, Set<number>>): string {
  const { graph, layout } = data;
  const w = layout.width + LABEL_WIDTH;
  const rows = new Map<number, number>();
  for (const b of layout.nodes) {
    const layer = graph.nodes[b.id]?.layer ?? 0;
    rows.set(layer, Math.min(rows.get(layer) ?? Number.POSITIVE_INFINITY, b.y));
  }
  const labels = [...rows]
    .map(([l, y]) => `<text class="layer-label" x="4" y="${(y + layout.nodeHeight / 2).toFixed(1)}">${escapeHtml(graph.layers[l]?.name ?? '')}</text>`)
    .join('');
  const edges = layout.edges
    .map((e) => {
      const d = e.points.map((p, i) => `${i ? 'L' : 'M'}${(p[0] + LABEL_WIDTH).toFixed(1)} ${p[1].toFixed(1)}`).join('');
      return `<path class="edge rel-${e.child} rel-${e.parent}" d="${d}"/>`;
    })
    .join('');
  const nodes = layout.nodes
    .map((b) => {
      const n = graph.nodes[b.id];
      const v = data.visuals.get(b.id);
      const classes = [...(rel.get(b.id) ?? [])].map((r) => `rel-${r}`).join(' ');
      const patches = (v?.patches ?? [])
        .map((p, i) => `<image x="${4 + i * (PATCH + 4)}" y="4" width="${PATCH}" height="${PATCH}" href="${p.png}" style="image-rendering:pixelated"/>`)
        .join('');
      const caption = `f${n?.filter} · ${formatCount(n?.support ?? 0, 'image')}`;
      return `<a href="#d${b.id}"><g class="node self-${b.id} rel-${b.id} ${classes}" transform="translate(${(b.x + LABEL_WIDTH).toFixed(1)},${b.y.toFixed(1)})"><title>${escapeHtml(nodeLabel(graph, b.id))}</title><rect width="${layout.nodeWidth}" height="${layout.nodeHeight}" rx="4"/>${patches}<text x="4" y="${layout.nodeHeight - 6}">${escapeHtml(caption)}</text></g></a>`;
    })
    .join('');
  return `<svg class="graph" viewBox="0 0 ${w.toFixed(0)} ${layout.height.toFixed(0)}" style="max-width:${w.toFixed(0)}px" role="img" aria-label="explanatory graph">${labels}${edges}${nodes}</svg>`;
}

function markers(points: readonly (readonly [number, number])[], colour: string, r: number): string {
  return points
    .map(([x, y]) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r}" fill="none" stroke="${colour}" stroke-width="${r / 2.5}"/>`)
    .join('');
}

function detail(data: GraphReportData, id: number, parents: readonly number[], children: readonly number[]): string {
  const { graph } = data;
  const n = graph.nodes[id];
  if (!n) return '';
  const [H, W] = graph.inputSize;
  const r = Math.max(2, Math.hypot(H, W) / 40);
  const link = (k: number) => `<a href="#d${k}">${escapeHtml(nodeLabel(graph, k))}</a>`;
  const examples = (data.visuals.get(id)?.examples ?? [])
    .map(
      (e) =>
        `<figure class="example"><img src="${e.image.png}" alt="${escapeHtml(e.name)}" width="${e.image.width}" height="${e.image.height}"><svg viewBox="0 0 ${W} ${H}" aria-hidden="true">${markers(e.parents, '#e4572e', r)}${markers(e.children, '#2b6cb0', r)}${markers([e.node], '#f2c14e', r * 1.3)}</svg><figcaption class="muted">${escapeHtml(e.name)}</figcaption></figure>`,
    )
    .join('');
  const facts = table(
    [
      ['fired on', formatCount(n.support, 'training image')],
      ['mean position', `(${n.prior[0].toFixed(1)}, ${n.prior[1].toFixed(1)}) px from the reference point`],
      ['σ', `${Math.sqrt(n.variance).toFixed(1)} px`],
    ],
    { rowHeaders: true, className: 'kv' },
  );
  return `<div class="detail" id="d${id}"><h3>${escapeHtml(nodeLabel(graph, id))}</h3>${facts}
<p class="legend"><span><i class="dot" style="background:#f2c14e"></i>this node</span><span><i class="dot" style="background:#e4572e"></i>parents</span><span><i class="dot" style="background:#2b6cb0"></i>children</span></p>
<div class="examples">${examples}</div>
<p><b>Parents</b> (${parents.length} shown): ${parents.map(link).join(', ') || 'none shown'}</p>
<p><b>Children</b> (${children.length} shown): ${children.map(link).join(', ') || 'none shown'}</p></div>`;
}

/**
 * The whole page.
 *
 * @example
 * ```ts
 * const html = graphReportHtml({ graph, layout, visuals, images: 120 });
 * ```
 */
export function graphReportHtml(data: GraphReportData): string {
  const { graph, layout } = data;
  const shown = new Set(layout.nodes.map((b) => b.id));
  const { parents, children } = neighbours(graph, shown);
  const rel = new Map<number, Set<number>>();
  for (const id of shown) rel.set(id, new Set([...(parents.get(id) ?? []), ...(children.get(id) ?? [])]));
  const css = `<style>${CSS}${[...shown].map(highlightRule).join('')}</style>`;
  const details = [...shown].map((id) => detail(data, id, parents.get(id) ?? [], children.get(id) ?? [])).join('');
  const hint = `<p class="hint muted">Click a node to see its parents and children and the images it explains. Each node shows the patches of the ${
    data.visuals.get(layout.nodes[0]?.id ?? -1)?.patches.length ?? 3
  } images where it fires most.</p>`;
  const body = `${css}<div class="gv"><div>${svgGraph(data, rel)}</div><div class="details">${hint}${details}</div></div>`;
  const perLayer = graph.layers.map((l, i) => [
    l.name,
    `${l.channels} × ${l.height}×${l.width}`,
    String(graph.nodes.filter((n) => n.layer === i).length),
    String(layout.nodes.filter((b) => graph.nodes[b.id]?.layer === i).length),
  ]);
  const summary = table(perLayer, { columns: ['layer', 'filters × map', 'nodes', 'shown'], rowHeaders: true });
  return page(
    `Explanatory graph${graph.class ? `: ${graph.class}` : ''}`,
    [
      { title: 'Graph', body },
      { title: 'Layers', body: summary },
      { title: 'Settings', body: settingsTable({ model: graph.model.name, class: graph.class ?? '—', images: data.images, ...graph.settings }) },
    ],
    {
      subtitle: `${formatCount(graph.nodes.length, 'node')} and ${formatCount(graph.edges.length, 'edge')} over ${formatCount(graph.layers.length, 'layer')}; ${shown.size} nodes are drawn (the top layer's best-supported and their descendants), top layer first`,
      ...(data.version ? { version: data.version } : {}),
    },
  );
}
