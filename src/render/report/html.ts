/**
 * The explanation report (`lucerna explain`) as one self-contained page of the report kit: a
 * summary, one section per image (see `image-section.ts`) and the model (see `model-section.ts`).
 */
import { callout } from './callout.js';
import { escapeHtml } from './escape.js';
import { formatCount, formatMs, formatPercent } from './format.js';
import { imageSection } from './image-section.js';
import { modelSection } from './model-section.js';
import { page } from './page.js';
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
  const header = `<ul class="notes">${summaryList(data)}</ul>
${(data.warnings ?? []).map((w) => callout(w)).join('')}
<details open><summary>How to read this report</summary><ul class="notes">${data.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></details>`;
  return page(data.title, [...data.images.map((image, i) => imageSection(image, i)), modelSection(data.model)], {
    subtitle: `${data.model.name} · ${formatCount(data.images.length, 'image')} · methods ${methods.join(', ')} · ${formatMs(data.totalMs)} · ${data.generated} · lucerna ${data.lucernaVersion}`,
    header,
    version: data.lucernaVersion,
  });
}
