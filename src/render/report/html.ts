/**
 * The explanation report as one self-contained HTML page: CSS inline, images as data URIs,
 * charts and colour bars as inline SVG, no script and no external reference of any kind, so it
 * opens offline, from a mail attachment as well as from disk.
 */
import { LucernaError } from '../../errors.js';
import { escapeHtml, formatMs, formatPercent } from './escape.js';
import { imageSection } from './image-section.js';
import { modelSection } from './model-section.js';
import { externalReferences } from './self-contained.js';
import { REPORT_CSS } from './style.js';
import type { ReportData } from './types.js';

function summaryList(data: ReportData): string {
  return data.images
    .map((image, i) => {
      const top = image.predictions[0];
      return `<li><a href="#image-${i + 1}">${escapeHtml(image.file)}</a>: ${top ? `${escapeHtml(top.label)} ${formatPercent(top.probability)}` : '?'}</li>`;
    })
    .join('');
}

/**
 * Renders the report page. Throws if the page would reference anything outside itself (a bug
 * guard: every image must be a data URI).
 *
 * @example
 * ```ts
 * await writeFileAtomic('report.html', renderReportHtml(report));
 * ```
 */
export function renderReportHtml(data: ReportData): string {
  const methods = [...new Set(data.images.flatMap((im) => im.methods.map((m) => m.name)))];
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="lucerna ${escapeHtml(data.lucernaVersion)}">
<title>${escapeHtml(data.title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(data.title)}</h1>
<div class="muted">${escapeHtml(data.model.name)} · ${data.images.length} image${data.images.length === 1 ? '' : 's'} · methods ${escapeHtml(methods.join(', '))} · ${formatMs(data.totalMs)} · ${escapeHtml(data.generated)} · lucerna ${escapeHtml(data.lucernaVersion)}</div>
<ul class="notes">${summaryList(data)}</ul>
<details open><summary>How to read this report</summary><ul class="notes">${data.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></details>
</header>
${data.images.map((image, i) => imageSection(image, i)).join('\n')}
${modelSection(data.model)}
</body>
</html>
`;
  const external = externalReferences(html);
  if (external.length > 0) {
    throw new LucernaError(
      'RUNTIME_ERROR',
      `The report would reference external resources (${external.slice(0, 3).join(', ')})`,
      'This is a bug in Lucerna; please report it',
    );
  }
  return html;
}
