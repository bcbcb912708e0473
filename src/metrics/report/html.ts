/**
 * The evaluation report: one self-contained HTML file (inline CSS and SVG, no scripts, nothing
 * fetched) with the method × metric table, the mean deletion and insertion curves, and the
 * randomization sanity-check curves.
 */
import type { RandomizationMode } from '../randomization.js';
import type { EvaluationSummary, TableCell } from '../summary.js';
import { curvePlot, randomizationPlots } from './plots.js';

/**
 * Escapes text for HTML.
 *
 * @example
 * ```ts
 * escapeHtml('<a & b>'); // '&lt;a &amp; b&gt;'
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * A number for the table: 3 significant digits, or scientific notation for very small or large values.
 *
 * @example
 * ```ts
 * formatValue(0.123456); // '0.123'
 * ```
 */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return v.toPrecision(3).replace(/\.?0+$/, (m) => (m.includes('.') ? '' : m));
}

/** The best mean of a metric's column, by its direction. */
function bestOf(cells: readonly TableCell[]): number | undefined {
  const finite = cells.filter((c) => Number.isFinite(c.mean));
  if (finite.length < 2) return undefined;
  const means = finite.map((c) => c.mean);
  return (cells[0] as TableCell).better === 'lower' ? Math.min(...means) : Math.max(...means);
}

function tableHtml(summary: EvaluationSummary): string {
  const metrics = summary.metrics;
  const head = metrics
    .map((m) => `<th title="${escapeHtml(m.description)}">${escapeHtml(m.name)} <span class="dir">${m.better === 'lower' ? '↓' : '↑'}</span></th>`)
    .join('');
  const byMetric = new Map(metrics.map((m) => [m.name, summary.table.filter((c) => c.metric === m.name)]));
  const rows = summary.methods.map((method) => {
    const cells = metrics.map((m) => {
      const column = byMetric.get(m.name) ?? [];
      const cell = column.find((c) => c.method === method);
      if (!cell || cell.n === 0) return '<td>–</td>';
      const best = bestOf(column) === cell.mean ? ' class="best"' : '';
      const n = cell.n !== summary.images.evaluated ? ` <span class="n">(n=${cell.n})</span>` : '';
      return `<td${best}>${formatValue(cell.mean)} ± ${formatValue(cell.stderr)}${n}</td>`;
    });
    return `<tr><th>${escapeHtml(method)}</th>${cells.join('')}</tr>`;
  });
  return `<table><thead><tr><th>method</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function metricList(summary: EvaluationSummary): string {
  const items = summary.metrics.map((m) => `<li><b>${escapeHtml(m.name)}</b> (${m.better} is better): ${escapeHtml(m.description)}</li>`);
  return `<ul class="metrics">${items.join('')}</ul>`;
}

function skippedHtml(summary: EvaluationSummary): string {
  const skipped = summary.images.skipped;
  if (skipped.length === 0) return '';
  const items = skipped.map((s) => `<li><code>${escapeHtml(s.file)}</code>: ${escapeHtml(s.reason)}</li>`);
  return `<details><summary>${skipped.length} skipped input${skipped.length === 1 ? '' : 's'}</summary><ul>${items.join('')}</ul></details>`;
}

function curvesHtml(summary: EvaluationSummary): string {
  const figures: string[] = [];
  const score = String((summary.settings.curve as { score?: string } | undefined)?.score ?? 'score');
  if (summary.curves.deletion) figures.push(curvePlot(summary.curves.deletion, 'Deletion (lower area is better)', summary.methods, `target ${score}`));
  if (summary.curves.insertion) figures.push(curvePlot(summary.curves.insertion, 'Insertion (higher area is better)', summary.methods, `target ${score}`));
  if (figures.length === 0) return '';
  return `<h2>Deletion and insertion</h2><p>Mean curves over the images: pixels removed from (or put back into) the image, most relevant first.</p><div class="figures">${figures.map((f) => `<div class="figure">${f}</div>`).join('')}</div>`;
}

const MODE_TITLES: Record<RandomizationMode, string> = { cascading: 'Cascading randomization', independent: 'Independent randomization' };
const MODE_TEXT: Record<RandomizationMode, string> = {
  cascading: 'Weights are redrawn from the top layer down, cumulatively; each point compares the map after randomizing up to that layer with the original map.',
  independent: 'One layer at a time is redrawn; each point compares the map with only that layer randomized with the original map.',
};

function randomizationHtml(summary: EvaluationSummary): string {
  const parts: string[] = [];
  for (const mode of ['cascading', 'independent'] as const) {
    const r = summary.randomization[mode];
    if (!r) continue;
    const figures = randomizationPlots(r, MODE_TITLES[mode], summary.methods);
    parts.push(
      `<h3>${MODE_TITLES[mode]}</h3><p>${MODE_TEXT[mode]} A method that explains the model should decorrelate fast.</p><div class="figures">${figures.map((f) => `<div class="figure">${f}</div>`).join('')}</div>`,
    );
  }
  if (parts.length === 0) return '';
  return `<h2>Sanity checks: model-parameter randomization (Adebayo et al. 2018)</h2>${parts.join('')}`;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.35em .7em;text-align:right}
thead th{background:#f3f3f3}tbody th{text-align:left}td.best{font-weight:bold;background:#eef7ee}
.dir{color:#777}.n{color:#777;font-size:.85em}.figures{display:flex;flex-wrap:wrap;gap:1.5em}
.figure{flex:0 0 auto;max-width:600px}.figure h2{font-size:1.05em;margin:.3em 0}pre{background:#f6f6f6;padding:1em;overflow:auto}code{font-size:.95em}`;

/**
 * The whole report as an HTML string.
 *
 * @example
 * ```ts
 * await writeFileAtomic('report.html', reportHtml(summary));
 * ```
 */
export function reportHtml(summary: EvaluationSummary): string {
  const title = `Lucerna evaluation: ${summary.model}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>${summary.images.evaluated} image${summary.images.evaluated === 1 ? '' : 's'} evaluated with ${summary.methods.length} method${summary.methods.length === 1 ? '' : 's'}; mean ± standard error over images.</p>
${skippedHtml(summary)}
<h2>Methods × metrics</h2>
${tableHtml(summary)}
${metricList(summary)}
${curvesHtml(summary)}
${randomizationHtml(summary)}
<h2>Settings</h2>
<pre>${escapeHtml(JSON.stringify(summary.settings, null, 2))}</pre>
</body></html>
`;
}
