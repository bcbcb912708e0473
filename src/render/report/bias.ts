/**
 * The bias-discovery report (`lucerna bias`) as a page of the report kit: the flagged
 * relations (an attribute value favouring one class over another) ranked by bias, the accuracy on the biased and unbiased splits (and
 * where the top cue agrees or conflicts with the class), per flagged relation its evidence filters
 * and Grad-CAM maps on val images where the cue and the class disagree, every relation, and the
 * settings. Zhang, Wang, Zhu, "Examining CNN Representations with respect to Dataset Bias",
 * AAAI 2018 (arXiv:1710.10577).
 */
import type { BiasRelation } from '../../diagnosis/bias/relations.js';
import { chart } from './chart.js';
import { escapeHtml } from './escape.js';
import { formatCount, formatValue } from './format.js';
import { page, type Section } from './page.js';
import { type Cell, settingsTable, table } from './table.js';
import { heatmapTile, tileGrid } from './tile.js';
import type { InlineImage } from './types.js';

/** A val image shown as evidence: where the cue and the relation's class disagree. */
export interface BiasExample {
  readonly name: string;
  /** Its true class and the network's prediction (names). */
  readonly className: string;
  readonly predicted: string;
  /** Whether the image has the cue (the attribute value). */
  readonly cue: boolean;
  readonly width: number;
  readonly height: number;
  /** The image, and Grad-CAM for the relation's class drawn over it (data URIs). */
  readonly image: string;
  readonly cam: string;
}

/** An evidence filter of a flagged relation: its top patches, and its dissection label when known. */
export interface FilterEvidence {
  readonly filter: number;
  /** The filter's best concept in the given dissection, its category and IoU, and whether it counts as a detector. */
  readonly label?: string;
  readonly category?: string;
  readonly iou?: number;
  readonly interpretable?: boolean;
  /** Where the filter fires most on the val images that show the cue, best first (field boxes in input pixels). */
  readonly patches: readonly { readonly image: string; readonly score: number; readonly box: { top: number; left: number; bottom: number; right: number } }[];
  /** Those patches side by side. */
  readonly montage?: InlineImage;
}

/** What the page shows. */
export interface BiasReport {
  readonly relations: readonly BiasRelation[];
  readonly accuracy: Readonly<Record<string, { readonly images: number; readonly accuracy: number | null }>>;
  /** Per flagged relation shown (`<class>:<attribute>`), its Grad-CAM examples. */
  readonly examples: ReadonlyMap<string, readonly BiasExample[]>;
  /** Per flagged relation (`<class>:<attribute>`), its evidence filters' patches and labels. */
  readonly filters?: ReadonlyMap<string, readonly FilterEvidence[]>;
  /** Dissection labels by filter (0-based), shown beside the evidence filters of every relation. */
  readonly labels?: ReadonlyMap<number, { readonly label: string }>;
  readonly threshold: number;
  readonly settings: Readonly<Record<string, unknown>>;
}

/**
 * The key of a relation in {@link BiasReport.examples}.
 *
 * @example `relationKey({ className: 'bird', against: 'fish', attribute: 'background=stripes', … }); // 'bird>fish:background=stripes'`
 */
export function relationKey(r: Pick<BiasRelation, 'className' | 'against' | 'attribute'>): string {
  return `${r.className}>${r.against}:${r.attribute}`;
}

/** A filter's number, with its dissection label when one is known: `14 (fish)`. */
function filterCell(f: number, labels?: ReadonlyMap<number, { readonly label: string }>): string {
  const label = labels?.get(f)?.label;
  return label === undefined ? String(f) : `${f} (${label})`;
}

function relationTable(relations: readonly BiasRelation[], labels?: BiasReport['labels']): string {
  const rows = relations.map((r, i): Cell[] => [
    i + 1,
    r.className,
    r.against,
    r.attribute,
    r.network,
    r.groundTruth,
    r.flagged ? { value: r.bias, className: 'best', title: 'flagged' } : r.bias,
    r.filters.map((f) => filterCell(f, labels)).join(', '),
  ]);
  return table(rows, { columns: ['#', 'favours', 'over', 'attribute', 'network', 'ground truth', 'bias', 'evidence filters'] });
}

function accuracySection(report: BiasReport): string {
  const entries = Object.entries(report.accuracy).filter(([, v]) => v.accuracy !== null);
  const bars = entries.length
    ? chart({
        kind: 'bar',
        title: 'Accuracy',
        data: entries.map(([k, v]) => ({ x: k, y: v.accuracy as number })),
        y: { label: 'accuracy', domain: [0, 1], percent: true },
        barLabel: (p) => `${formatValue(p.y * 100)}%`,
        // The cue rows name the relation: room for the whole label (the chart's default stops at 220 px).
        marginLeft: Math.min(480, Math.max(60, 7 * Math.max(...entries.map(([k]) => k.length)) + 12)),
      })
    : '';
  const rows = Object.entries(report.accuracy).map(([k, v]): Cell[] => [k, v.accuracy === null ? '–' : v.accuracy, v.images]);
  return `${bars}${table(rows, { columns: ['images', 'accuracy', 'count'] })}`;
}

/** `12 (head, part, IoU 0.081)`, or the bare number without a label. */
function filterName(f: FilterEvidence): string {
  return f.label === undefined ? `filter ${f.filter}` : `filter ${f.filter}: ${f.label} (${f.category}, IoU ${formatValue(f.iou ?? 0)})`;
}

function patchTiles(r: BiasRelation, filters: readonly FilterEvidence[]): string {
  if (filters.length === 0) return '';
  const tiles = filters.map((f) =>
    f.montage
      ? heatmapTile({
          image: f.montage,
          alt: `Top patches of filter ${f.filter}`,
          title: filterName(f),
          caption: f.patches.map((p) => `${p.image} (${formatValue(p.score)})`),
          imageClass: 'patches',
        })
      : `<figure class="tile"><div class="tile-title">${escapeHtml(filterName(f))}</div><figcaption>no val image shows ${escapeHtml(r.attribute)}</figcaption></figure>`,
  );
  return `<p class="muted">The evidence filters' top patches: the receptive fields where each fires most on the val images that show ${escapeHtml(r.attribute)} (peak activation in brackets)${filters.some((f) => f.label !== undefined) ? ', with the unit label and IoU from the given dissection' : ''}.</p>${tileGrid(tiles, 280)}`;
}

function evidence(r: BiasRelation, examples: readonly BiasExample[], filters: readonly FilterEvidence[]): string {
  const names = filters.length ? filters.map(filterName).join('; ') : r.filters.join(', ') || 'none';
  const lead = `<p>Network relation ${escapeHtml(formatValue(r.network))}, ground truth ${escapeHtml(formatValue(r.groundTruth))}, bias <b>${escapeHtml(formatValue(r.bias))}</b>. Evidence filters: ${escapeHtml(names)}.</p>${patchTiles(r, filters)}`;
  if (examples.length === 0) return `${lead}<p class="muted">No val image where the cue and the class disagree.</p>`;
  const tiles = examples.flatMap((e, i) => {
    const caption = [`${e.className} → predicted ${e.predicted}`, e.cue ? `has ${r.attribute}` : `without ${r.attribute}`];
    return [
      heatmapTile({ image: { png: e.image, width: e.width, height: e.height }, alt: e.name, title: e.name, caption, imageClass: 'input' }),
      heatmapTile({
        image: { png: e.cam, width: e.width, height: e.height },
        alt: `Grad-CAM for ${r.className} on ${e.name}`,
        title: `Grad-CAM: ${r.className}`,
        subtitle: `#${i + 1}`,
      }),
    ];
  });
  return `${lead}<p class="muted">Val images where the cue and the class disagree, each with Grad-CAM (ReLU, bilinear) for ${escapeHtml(r.className)} at the dissected layer: does the evidence sit on the object or on the cue?</p>${tileGrid(tiles, 150)}`;
}

/**
 * Renders the bias report page.
 *
 * @example
 * ```ts
 * const html = biasPage({ relations, accuracy, examples: new Map(), threshold: 0.3, settings: { layer: 'Relu_3' } });
 * ```
 */
export function biasPage(report: BiasReport): string {
  const flagged = report.relations.filter((r) => r.flagged);
  const shown = flagged.filter((r) => report.examples.has(relationKey(r)));
  const header = `<p class="muted">A relation: an attribute value favouring one class over another (a softmax only sees how a cue moves one class against another). Network relation: correlation of the evidence for the first class minus the second (gradient × activation summed over the layer's filters) with the attribute, on the unbiased val split; ground truth: correlation of the attribute with 1 for the first class, −1 for the second, 0 otherwise, on the same split; bias: the correlation of evidence and attribute within each true class (partial correlation given the class, oriented ≥ 0), flagged from bias ≥ ${escapeHtml(formatValue(report.threshold))}; evidence filters: the filters with the largest share of that within-class covariance. Zhang, Wang, Zhu, AAAI 2018 (arXiv:1710.10577).</p>`;
  const sections: Section[] = [
    {
      title: `Flagged relations (${flagged.length})`,
      body: flagged.length ? relationTable(flagged, report.labels) : '<p class="muted">No relation reaches the threshold.</p>',
    },
    { title: 'Accuracy on the biased and unbiased splits', body: accuracySection(report) },
    ...shown.map((r) => ({
      title: `Evidence: ${relationKey(r)}`,
      body: evidence(r, report.examples.get(relationKey(r)) ?? [], report.filters?.get(relationKey(r)) ?? []),
    })),
    { title: `All relations (${report.relations.length})`, body: relationTable(report.relations, report.labels) },
    { title: 'Settings', body: settingsTable(report.settings) },
  ];
  return page('Bias discovery', sections, { subtitle: `${formatCount(flagged.length, 'flagged relation')} of ${report.relations.length}`, header });
}
