/**
 * The HTML report of a decision tree of rationales (Zhang et al., "Interpreting CNNs via Decision
 * Trees", CVPR 2019, https://arxiv.org/abs/1802.00121), on the report kit: the top levels of the
 * hierarchy laid out by ELK as an inline SVG, each node with its images and a bar chart of the
 * filters that contribute most to its decision mode, and a table of the same. With a decision
 * path (`tree explain`), the path is drawn in colour, its nodes show the image's own
 * contributions, and a table lists each step. Pure: runs in Node and in a browser.
 *
 * A node's bars are w_c·s_c (its mode times the class's mean activation of the filter, the tree's
 * `scale`), as percentages of Σ|w_c·s_c|: the node's contribution pattern on an average image. On
 * the path they are the image's w_c·x̂_c.
 */
import type { Contribution, PathStep } from '../../disentangle/tree/infer.js';
import { contributions } from '../../disentangle/tree/infer.js';
import type { DecisionTree } from '../../disentangle/tree/types.js';
import { escapeHtml } from '../report/escape.js';
import { page, type Section } from '../report/page.js';
import { settingsTable, table } from '../report/table.js';
import type { InlineImage } from '../report/types.js';
import { layoutTree } from './layout.js';

/** Options of {@link treeReportPage}. */
export interface TreeReportOptions {
  readonly title: string;
  readonly subtitle?: string;
  /** Levels drawn below the root (default 4); deeper subtrees are folded into their top node. */
  readonly maxDepth?: number;
  /** Filters per node (default 3). */
  readonly topK?: number;
  /** A decision path to draw (from `tree explain`). */
  readonly path?: readonly PathStep[];
  /** Display name of a filter (default `filter c`). */
  readonly filterName?: (filter: number) => string;
  /**
   * The image patch of a filter at a node (where it fires on the node's images), drawn beside its
   * bar; none when absent. {@link drawnFilters} lists the pairs the page asks for.
   */
  readonly patch?: (node: number, filter: number) => InlineImage | undefined;
  /** Sections placed after the decision path (e.g. the image's heatmaps, from `tree explain`). */
  readonly sections?: readonly Section[];
  /** Every setting of the run, shown as a table. */
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly version?: string;
}

const BOX_W = 168;
const ROW_H = 15;
/** Row height and patch side when patches are drawn. */
const PATCH_ROW_H = 24;
const PATCH = 22;

/** The drawn nodes: the root and its descendants down to `maxDepth` (plus the path, whatever its depth). */
function drawnNodes(tree: DecisionTree, maxDepth: number, onPath: ReadonlySet<number>): { id: number; depth: number; folded: number }[] {
  const out: { id: number; depth: number; folded: number }[] = [];
  const count = (id: number): number => 1 + (tree.nodes[id]?.children ?? []).reduce((s, c) => s + count(c), 0);
  const visit = (id: number, depth: number): void => {
    const node = tree.nodes[id];
    if (!node) return;
    const open = depth < maxDepth || onPath.has(id);
    const kids = node.children.filter((c) => open && (depth < maxDepth || onPath.has(c)));
    const hidden = node.children.filter((c) => !kids.includes(c)).reduce((s, c) => s + count(c), 0);
    out.push({ id, depth, folded: hidden });
    for (const c of kids) visit(c, depth + 1);
  };
  visit(tree.root, 0);
  return out;
}

function nodeTop(tree: DecisionTree, id: number, k: number, path: ReadonlyMap<number, PathStep>): Contribution[] {
  const step = path.get(id);
  if (step) return step.top.slice(0, k);
  const node = tree.nodes[id];
  return node ? contributions(node.mode, tree.scale ?? new Array<number>(tree.filters).fill(1)).slice(0, k) : [];
}

const rowHeight = (patches: boolean): number => (patches ? PATCH_ROW_H : ROW_H);
const boxHeight = (rows: number, folded: boolean, patches: boolean): number => 20 + rowHeight(patches) * rows + (folded ? ROW_H : 0);

function nodeSvg(
  x: number,
  y: number,
  lines: { id: number; size: number; folded: number; top: Contribution[]; onPath: boolean; mode: boolean },
  name: (f: number) => string,
  patch?: (node: number, filter: number) => InlineImage | undefined,
): string {
  const rowH = rowHeight(patch !== undefined);
  const h = boxHeight(lines.top.length, lines.folded > 0, patch !== undefined);
  const left = x - BOX_W / 2;
  const top = y - h / 2;
  const stroke = lines.onPath ? '#d35400' : '#999';
  let s = `<g class="node"><rect x="${left}" y="${top}" width="${BOX_W}" height="${h}" rx="4" fill="#fff" stroke="${stroke}" stroke-width="${lines.onPath ? 2.5 : 1}"/>`;
  s += `<text x="${left + 6}" y="${top + 14}" font-size="11" font-weight="600">node ${lines.id} · ${lines.size} image${lines.size === 1 ? '' : 's'}${lines.mode ? ' · mode' : ''}</text>`;
  const widest = Math.max(1e-12, ...lines.top.map((c) => Math.abs(c.percent)));
  const barLeft = patch ? left + 76 + PATCH : left + 78;
  const barMax = patch ? 42 : 60;
  lines.top.forEach((c, i) => {
    const ry = top + 20 + i * rowH;
    const mid = ry + rowH / 2;
    const w = Math.max(1, Math.round((Math.abs(c.percent) / widest) * barMax));
    s += `<text x="${left + 6}" y="${mid + 3.5}" font-size="10">${escapeHtml(name(c.filter))}</text>`;
    const img = patch?.(lines.id, c.filter);
    if (img)
      s += `<image class="patch" href="${img.png}" x="${left + 70}" y="${mid - PATCH / 2}" width="${PATCH}" height="${PATCH}" preserveAspectRatio="xMidYMid meet" style="image-rendering:pixelated"><title>${escapeHtml(name(c.filter))} where it fires most on this node's images</title></image>`;
    s += `<rect x="${barLeft}" y="${mid - 4.5}" width="${w}" height="9" fill="${c.value >= 0 ? '#2e8b57' : '#c0392b'}"/>`;
    s += `<text x="${barLeft + 4 + w}" y="${mid + 3.5}" font-size="10">${c.percent.toFixed(0)}%</text>`;
  });
  if (lines.folded) s += `<text x="${left + 6}" y="${top + 20 + lines.top.length * rowH + 10}" font-size="10" fill="#666">+ ${lines.folded} nodes below</text>`;
  return `${s}</g>`;
}

/**
 * The tree drawn as an inline SVG (ELK layout), at most `maxDepth` levels (the path always).
 *
 * @example
 * ```ts
 * const svg = await treeSvg(tree, { maxDepth: 3, topK: 3 });
 * ```
 */
export async function treeSvg(tree: DecisionTree, o: Pick<TreeReportOptions, 'maxDepth' | 'topK' | 'path' | 'filterName' | 'patch'> = {}): Promise<string> {
  const k = o.topK ?? 3;
  const name = o.filterName ?? ((f: number) => `filter ${f}`);
  const path = new Map((o.path ?? []).map((s) => [s.node, s]));
  const drawn = drawnNodes(tree, o.maxDepth ?? 4, new Set(path.keys()));
  const ids = new Set(drawn.map((d) => d.id));
  const info = new Map(drawn.map((d) => [d.id, { ...d, top: nodeTop(tree, d.id, k, path) }]));
  const boxes = drawn.map((d) => ({ id: d.id, width: BOX_W, height: boxHeight(info.get(d.id)?.top.length ?? 0, d.folded > 0, o.patch !== undefined) }));
  const edges = drawn.flatMap((d) => (tree.nodes[d.id]?.children ?? []).filter((c) => ids.has(c)).map((c) => [d.id, c] as const));
  const l = await layoutTree(boxes, edges);
  const lines = l.edges.map((e) => {
    const hot = path.has(e.from) && path.has(e.to);
    const pts = e.points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    return `<polyline points="${pts}" fill="none" stroke="${hot ? '#d35400' : '#bbb'}" stroke-width="${hot ? 2.5 : 1}"/>`;
  });
  const nodes = drawn.map((d) => {
    const b = l.boxes.get(d.id);
    const node = tree.nodes[d.id];
    const i = info.get(d.id);
    return b && node && i
      ? nodeSvg(
          b.x,
          b.y,
          { id: d.id, size: node.size, folded: d.folded, top: i.top, onPath: path.has(d.id), mode: tree.modes?.includes(d.id) ?? false },
          name,
          o.patch,
        )
      : '';
  });
  const w = Math.ceil(l.width);
  const h = Math.ceil(l.height);
  // Shrinks to its box on a narrow page (never scrolls sideways), never grows past its natural size.
  return `<svg role="img" aria-label="decision tree" viewBox="0 0 ${w} ${h}" style="display:block;width:100%;max-width:${w}px;height:auto" font-family="system-ui, sans-serif">${lines.join('')}${nodes.join('')}</svg>`;
}

/**
 * The (node, filter) pairs whose bars the page draws, for the caller to find their patches.
 *
 * @example
 * ```ts
 * const pairs = drawnFilters(tree, { maxDepth: 3, topK: 3 }); // [[root, 5], [root, 12], …]
 * ```
 */
export function drawnFilters(tree: DecisionTree, o: Pick<TreeReportOptions, 'maxDepth' | 'topK' | 'path'> = {}): [node: number, filter: number][] {
  const path = new Map((o.path ?? []).map((s) => [s.node, s]));
  return drawnNodes(tree, o.maxDepth ?? 4, new Set(path.keys())).flatMap((d) =>
    nodeTop(tree, d.id, o.topK ?? 3, path).map((c) => [d.id, c.filter] as [number, number]),
  );
}

const topText = (top: readonly Contribution[], name: (f: number) => string): string => top.map((c) => `${name(c.filter)} ${c.percent.toFixed(1)}%`).join(', ');

/**
 * The whole report page.
 *
 * @example
 * ```ts
 * const html = await treeReportPage(tree, { title: 'Decision tree: bird', settings: { beta: 1 } });
 * ```
 */
export async function treeReportPage(tree: DecisionTree, o: TreeReportOptions): Promise<string> {
  const name = o.filterName ?? ((f: number) => `filter ${f}`);
  const k = o.topK ?? 3;
  const path = new Map((o.path ?? []).map((s) => [s.node, s]));
  const sections: Section[] = [];
  if (o.path) {
    const rows = o.path.map((s) => [s.depth, s.node, s.similarity, s.predicted, `${(100 * s.relativeError).toFixed(1)} %`, topText(s.top.slice(0, k), name)]);
    sections.push({
      title: 'Decision path',
      body: table(rows, { columns: ['depth', 'node', 'cosine', 'predicted score', 'relative error', 'top filters (share of the prediction)'] }),
    });
  }
  sections.push(...(o.sections ?? []));
  sections.push({
    title: 'Tree',
    body: `<p class="muted">Top levels of the hierarchy, general modes at the top; bars: the filters contributing most to each node's decision mode (${o.path ? 'on the path: this image’s w·x̂; elsewhere: ' : ''}w·s, on the class’s mean activation), green positive, red negative; bar lengths relative to the node’s largest.${o.patch ? ' Beside each bar, the filter’s patch: where it fires most on the node’s images (around its peak).' : ''} “mode”: where the paper stops merging (its root’s children).</p>${await treeSvg(tree, { maxDepth: o.maxDepth, topK: k, path: o.path, filterName: name, patch: o.patch })}`,
  });
  const drawn = drawnNodes(tree, o.maxDepth ?? 4, new Set(path.keys()));
  sections.push({
    title: 'Nodes',
    body: table(
      drawn.map((d) => [
        d.id,
        d.depth,
        tree.nodes[d.id]?.size ?? 0,
        (tree.nodes[d.id]?.children ?? []).join(', ') || 'leaf',
        topText(nodeTop(tree, d.id, k, path), name),
      ]),
      { columns: ['node', 'depth', 'images', 'children', 'top filters'] },
    ),
  });
  if (o.settings) sections.push({ title: 'Settings', body: settingsTable(o.settings) });
  return page(o.title, sections, { subtitle: o.subtitle, version: o.version });
}
