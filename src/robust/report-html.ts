/**
 * The robustness report (`lucerna attack` on a folder) as a page of the report kit: the attack
 * success rate against ε, the distribution of the minimal ε, and per sample the original, the
 * adversarial input, the amplified difference and Grad-CAM before and after (Szegedy et al. 2014,
 * Goodfellow et al. 2015, Madry et al. 2018; Grad-CAM: Selvaraju et al. 2017). Plain data in, a
 * string out; images arrive as `data:` URIs, so the page loads nothing.
 */
import { chart } from '../render/report/chart.js';
import { escapeHtml } from '../render/report/escape.js';
import { formatCount, formatPercent, formatValue } from '../render/report/format.js';
import { page } from '../render/report/page.js';
import { histogram } from '../render/report/plots.js';
import { settingsTable } from '../render/report/table.js';
import { heatmapTile, tileGrid } from '../render/report/tile.js';

/** The pictures and numbers of one sample. */
export interface RobustnessReportImage {
  readonly name: string;
  /** The clean prediction, as shown (index and label). */
  readonly label: string;
  /** The prediction on the adversarial input, as shown. */
  readonly adversarialLabel: string;
  /** The minimal ε, or null when no ε of the grid changed the decision. */
  readonly minimalEpsilon: number | null;
  /** The ε of the adversarial input shown. */
  readonly shownEpsilon: number;
  /** max |x′ − x| of the shown adversarial input (the difference picture maps it to full contrast). */
  readonly differenceMax: number;
  /** Size of the pictures, in pixels. */
  readonly width: number;
  readonly height: number;
  /** `data:image/png;base64,…` URIs. */
  readonly pictures: {
    readonly original: string;
    readonly adversarial: string;
    readonly difference: string;
    readonly camBefore: string;
    readonly camAfter: string;
  };
}

/** Everything the page shows. */
export interface RobustnessReportData {
  readonly model: string;
  readonly attack: string;
  /** Attack settings as shown (norm, steps, bounds…). */
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  readonly epsilons: readonly number[];
  /** Success rate at each ε. */
  readonly rates: readonly number[];
  /** The end of the minimal-ε search grid. */
  readonly searchMax: number;
  readonly images: readonly RobustnessReportImage[];
}

/** Bins of the minimal-ε histogram over [0, the search's end). */
const EPSILON_BINS = 20;

function charts(data: RobustnessReportData): string {
  const rates = chart({
    kind: 'line',
    title: 'Attack success rate against ε',
    data: data.epsilons.map((e, i) => ({ x: e, y: data.rates[i] as number })),
    x: { label: 'ε', domain: [0, Math.max(...data.epsilons)] },
    y: { label: 'success rate', domain: [0, 1], percent: true },
  });
  const found = data.images.flatMap((i) => (i.minimalEpsilon === null ? [] : [i.minimalEpsilon]));
  const none = data.images.length - found.length;
  const minimal = histogram({
    title: `Minimal ε that changes the decision (bisection below ${formatValue(data.searchMax)}; no flip below ${formatValue(data.searchMax)}: ${none})`,
    values: found,
    bins: EPSILON_BINS,
    domain: [0, data.searchMax],
    xLabel: 'minimal ε',
    yLabel: 'samples',
  });
  const listed = data.epsilons.map((e, i) => `ε ${e}: ${formatPercent(data.rates[i] as number)}`).join(' · ');
  return `<div class="charts">${rates}<p class="muted">${escapeHtml(listed)}</p>${minimal}</div>`;
}

function sample(r: RobustnessReportImage, index: number): string {
  const eps = r.minimalEpsilon === null ? `none below the grid's end (shown at ε ${r.shownEpsilon})` : formatValue(r.minimalEpsilon);
  const tile = (png: string, title: string) => heatmapTile({ image: { png, width: r.width, height: r.height }, alt: `${title} of ${r.name}`, title });
  const head = `<h3 class="target-heading">${escapeHtml(r.name)}: ${escapeHtml(r.label)} → ${escapeHtml(r.adversarialLabel)} <span class="muted">minimal ε ${escapeHtml(eps)} · max |x′ − x| ${escapeHtml(formatValue(r.differenceMax))}</span></h3>`;
  const tiles = [
    tile(r.pictures.original, 'original'),
    tile(r.pictures.adversarial, 'adversarial'),
    tile(r.pictures.difference, 'difference (amplified)'),
    tile(r.pictures.camBefore, 'Grad-CAM before'),
    tile(r.pictures.camAfter, 'Grad-CAM after'),
  ];
  return `<div id="sample-${index + 1}">${head}${tileGrid(tiles, 150)}</div>`;
}

/**
 * The whole page.
 *
 * @example
 * ```ts
 * await writeFileAtomic('robustness.html', renderRobustnessHtml(data));
 * ```
 */
export function renderRobustnessHtml(data: RobustnessReportData): string {
  const note =
    '<p class="muted">The difference is x′ − x per channel, amplified so that its largest magnitude reaches full contrast (grey = 0). Grad-CAM (ReLU, bilinear) is shown for the clean prediction on the original and for the adversarial prediction on the adversarial input.</p>';
  return page(
    `Robustness of ${data.model} to ${data.attack}`,
    [
      { title: 'Success and minimal ε', body: charts(data) },
      { title: 'Samples', body: `${note}${data.images.map(sample).join('')}` },
      { title: 'Settings', body: settingsTable({ ...data.settings, samples: data.images.length }) },
    ],
    { subtitle: `${formatCount(data.images.length, 'sample')} · ${data.attack}` },
  );
}
