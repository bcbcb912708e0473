/**
 * The robustness report as one self-contained HTML page: the attack success rate against ε, the
 * distribution of the minimal ε, and per sample the original, the adversarial input, the amplified
 * difference and Grad-CAM before and after. Plain data in, a string out; images arrive as
 * `data:` URIs, so the page loads nothing.
 */
import { escapeHtml } from '../render/report/escape.js';

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

const W = 420;
const H = 220;
const M = 36;

function axes(xLabel: string, yLabel: string, xMax: string, yMax: string): string {
  return [
    `<line x1="${M}" y1="${H - M}" x2="${W - M / 2}" y2="${H - M}" stroke="#888"/>`,
    `<line x1="${M}" y1="${M / 2}" x2="${M}" y2="${H - M}" stroke="#888"/>`,
    `<text x="${W / 2}" y="${H - 6}" text-anchor="middle">${escapeHtml(xLabel)}</text>`,
    `<text x="6" y="${M / 2 - 4}">${escapeHtml(yLabel)}</text>`,
    `<text x="${M}" y="${H - M + 14}" text-anchor="middle">0</text>`,
    `<text x="${W - M / 2}" y="${H - M + 14}" text-anchor="end">${escapeHtml(xMax)}</text>`,
    `<text x="${M - 4}" y="${M / 2 + 4}" text-anchor="end">${escapeHtml(yMax)}</text>`,
  ].join('');
}

function svg(body: string, title: string): string {
  return `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11" role="img" aria-label="${escapeHtml(title)}">${body}</svg>`;
}

/**
 * The success rate against ε as an SVG line chart (ε from 0 to the largest ε, rate from 0 to 1).
 *
 * @example
 * ```ts
 * successRateSvg([0.01, 0.03], [0.2, 0.9]);
 * ```
 */
export function successRateSvg(epsilons: readonly number[], rates: readonly number[]): string {
  const max = Math.max(...epsilons);
  const x = (e: number) => M + ((W - 1.5 * M) * e) / max;
  const y = (r: number) => H - M - (H - 1.5 * M) * r;
  const points = epsilons.map((e, i) => `${x(e).toFixed(1)},${y(rates[i] as number).toFixed(1)}`);
  const dots = epsilons.map(
    (e, i) =>
      `<circle cx="${x(e).toFixed(1)}" cy="${y(rates[i] as number).toFixed(1)}" r="3" fill="#1f77b4"><title>ε ${e}: ${((rates[i] as number) * 100).toFixed(1)}%</title></circle>`,
  );
  const body = `${axes('ε', 'success rate', String(max), '1')}<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${points.join(' ')}"/>${dots.join('')}`;
  return svg(body, 'attack success rate against epsilon');
}

/**
 * A histogram of the minimal ε over [0, max) in `bins` bins, with the samples where no ε worked
 * counted apart.
 *
 * @example
 * ```ts
 * minimalEpsilonSvg([0.01, 0.02, null], 0.1);
 * ```
 */
export function minimalEpsilonSvg(values: readonly (number | null)[], max: number, bins = 20): string {
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    if (v === null) continue;
    const bin = Math.min(bins - 1, Math.floor((v / max) * bins));
    counts[bin] = (counts[bin] as number) + 1;
  }
  const none = values.filter((v) => v === null).length;
  const top = Math.max(1, ...counts);
  const bw = (W - 1.5 * M) / bins;
  const bars = counts.map((c, i) => {
    const h = ((H - 1.5 * M) * c) / top;
    const lo = (max * i) / bins;
    return `<rect x="${(M + i * bw).toFixed(1)}" y="${(H - M - h).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="#ff7f0e"><title>[${lo.toPrecision(3)}, ${((max * (i + 1)) / bins).toPrecision(3)}): ${c}</title></rect>`;
  });
  const note = `<text x="${W - M / 2}" y="${M / 2 + 4}" text-anchor="end">no flip below ${max}: ${none}</text>`;
  return svg(`${axes('minimal ε', 'samples', String(max), String(top))}${bars.join('')}${note}`, 'distribution of the minimal epsilon');
}

const CSS = `body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse}td,th{padding:4px 8px;text-align:left;vertical-align:top}
.kv td:first-child{color:#666}.samples img{width:128px;height:128px;image-rendering:pixelated;border:1px solid #ddd}.charts{display:flex;gap:24px;flex-wrap:wrap}
.samples th{font-weight:600;border-bottom:1px solid #ccc}.samples td{border-bottom:1px solid #eee}small{color:#666}`;

function imageRow(r: RobustnessReportImage): string {
  const cell = (src: string, alt: string) => `<td><img src="${src}" alt="${escapeHtml(alt)}"></td>`;
  const eps = r.minimalEpsilon === null ? `none below the grid's end (shown at ε ${r.shownEpsilon})` : String(r.minimalEpsilon);
  return [
    '<tr>',
    `<td>${escapeHtml(r.name)}<br><small>${escapeHtml(r.label)} → ${escapeHtml(r.adversarialLabel)}<br>minimal ε: ${escapeHtml(eps)}<br>max |x′ − x|: ${r.differenceMax.toPrecision(3)}</small></td>`,
    cell(r.pictures.original, 'original'),
    cell(r.pictures.adversarial, 'adversarial'),
    cell(r.pictures.difference, 'amplified difference'),
    cell(r.pictures.camBefore, 'Grad-CAM before'),
    cell(r.pictures.camAfter, 'Grad-CAM after'),
    '</tr>',
  ].join('');
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
  const settings = Object.entries(data.settings)
    .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(String(v))}</td></tr>`)
    .join('');
  const rates = data.epsilons.map((e, i) => `ε ${e}: ${((data.rates[i] as number) * 100).toFixed(1)}%`).join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Robustness: ${escapeHtml(data.model)}</title><style>${CSS}</style></head>
<body>
<h1>Robustness of ${escapeHtml(data.model)} to ${escapeHtml(data.attack)}</h1>
<table class="kv">${settings}<tr><td>samples</td><td>${data.images.length}</td></tr></table>
<div class="charts">
<figure>${successRateSvg(data.epsilons, data.rates)}<figcaption>Attack success rate against ε (${escapeHtml(rates)})</figcaption></figure>
<figure>${minimalEpsilonSvg(
    data.images.map((i) => i.minimalEpsilon),
    data.searchMax,
  )}<figcaption>Minimal ε that changes the decision (bisection on a grid below ${data.searchMax})</figcaption></figure>
</div>
<h2>Samples</h2>
<p><small>The difference is x′ − x per channel, amplified so that its largest magnitude reaches full contrast (grey = 0). Grad-CAM (ReLU, bilinear) is shown for the clean prediction on the original and for the adversarial prediction on the adversarial input.</small></p>
<table class="samples"><tr><th>sample</th><th>original</th><th>adversarial</th><th>difference</th><th>Grad-CAM before</th><th>Grad-CAM after</th></tr>
${data.images.map(imageRow).join('\n')}
</table>
</body></html>
`;
}
