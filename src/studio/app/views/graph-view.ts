/**
 * View 4, an explanatory graph (Zhang et al. 2018, "Interpreting CNN Knowledge via an Explanatory
 * Graph", https://arxiv.org/abs/1708.01785) from `graph.json`: one row per mined layer, nodes
 * (part patterns) ordered by ELK (laid out off the render path) to keep edges short; click a node for its filter, position,
 * spread, support, parents and children.
 */
import { css, html, svg } from 'lit';
import type { GraphNode } from '../../../disentangle/graph/types.js';
import { type GraphLayout, layoutGraph } from '../../shape/graph-layout.js';
import { StateView } from './state-view.js';

/** `<lucerna-graph-view>`: set `state`. */
export class GraphView extends StateView {
  static override properties = {
    ...StateView.properties,
    perLayer: { state: true },
    selected: { state: true },
    layout: { state: true },
    layoutError: { state: true },
  };
  static override styles = css`
    svg { border: 1px solid #ddd; background: #fff; max-width: 100%; height: auto; }
    .details { font: 12px ui-monospace, monospace; }
  `;
  declare perLayer: number;
  declare selected?: GraphNode;
  /** The layout of `laidOut`, once ELK has placed it. */
  declare layout?: GraphLayout;
  /** Why the layout failed, if it did. */
  declare layoutError?: string;
  private laidOut?: { readonly graph: object; readonly perLayer: number };

  constructor() {
    super();
    this.perLayer = 30;
  }

  override willUpdate(): void {
    super.willUpdate();
    const graph = this.state?.graph;
    if (!graph || (this.laidOut?.graph === graph && this.laidOut.perLayer === this.perLayer)) return;
    const wanted = { graph, perLayer: this.perLayer };
    this.laidOut = wanted;
    this.layout = undefined;
    this.layoutError = undefined;
    layoutGraph(graph, { maxNodesPerLayer: this.perLayer }).then(
      (layout) => {
        if (this.laidOut === wanted) this.layout = layout;
      },
      (e: unknown) => {
        if (this.laidOut === wanted) this.layoutError = e instanceof Error ? e.message : String(e);
      },
    );
  }

  override render() {
    const graph = this.state?.graph;
    if (!graph) return html`<p>Load a graph.json (lucerna graph build), or start lucerna studio with --graph.</p>`;
    const layout = this.layout;
    if (this.layoutError) return html`<p class="error">Could not lay out the graph: ${this.layoutError}</p>`;
    if (!layout) return html`<p>Laying out ${graph.nodes.length} nodes…</p>`;
    const sel = this.selected;
    const near = new Set<number>();
    if (sel) for (const e of graph.edges) if (e.child === sel.id || e.parent === sel.id) near.add(e.child === sel.id ? e.parent : e.child);
    const maxSupport = Math.max(1, ...graph.nodes.map((n) => n.support));
    return html`<p>
        ${graph.nodes.length} nodes, ${graph.edges.length} edges over ${graph.layers.length} layers${graph.class ? ` (class ${graph.class})` : ''}; showing up to
        <input id="per-layer" type="number" min="1" max="500" .value=${String(this.perLayer)} @change=${(e: Event) => (this.perLayer = Math.max(1, Number((e.target as HTMLInputElement).value) || 1))} />
        best-supported nodes per layer${layout.hidden ? `, ${layout.hidden} hidden` : ''}.
      </p>
      <svg id="graph" viewBox="0 0 ${layout.width + 120} ${layout.height}" width=${layout.width + 120} height=${layout.height}>
        ${layout.rows.map((r) => svg`<text x="4" y=${r.y + 4} font-size="11" fill="#666">${r.name}</text>`)}
        <g transform="translate(110 0)">
          ${layout.edges.map((e) => {
            const on = sel && (e.child === sel.id || e.parent === sel.id);
            return svg`<line x1=${e.x1} y1=${e.y1} x2=${e.x2} y2=${e.y2} stroke=${on ? '#e8590c' : '#bbb'} stroke-width=${on ? 1.6 : 0.6}></line>`;
          })}
          ${layout.nodes.map(
            (n) =>
              svg`<circle class="node" data-node=${n.id} cx=${n.x} cy=${n.y} r=${4 + 5 * Math.sqrt(n.support / maxSupport)}
                fill=${sel?.id === n.id ? '#e8590c' : near.has(n.id) ? '#ffc078' : '#4c6ef5'} @click=${() => (this.selected = graph.nodes[n.id])}>
                <title>node ${n.id}: filter ${n.filter}, support ${n.support}</title></circle>`,
          )}
        </g>
      </svg>
      ${
        sel
          ? html`<div class="details" id="node-details">
            node ${sel.id}: layer ${graph.layers[sel.layer]?.name}, filter ${sel.filter}; mean position (${sel.prior[0].toFixed(1)}, ${sel.prior[1].toFixed(1)}) px, σ
            ${Math.sqrt(sel.variance).toFixed(1)} px; fired on ${sel.support} images; ${graph.edges.filter((e) => e.child === sel.id).length} parents,
            ${graph.edges.filter((e) => e.parent === sel.id).length} children
          </div>`
          : ''
      }`;
  }
}

customElements.define('lucerna-graph-view', GraphView);
