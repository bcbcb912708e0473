/**
 * The page shell of every report: one self-contained HTML document (CSS inline, images as data
 * URIs, charts as inline SVG, no script and no external reference of any kind), so it opens
 * offline, from a mail attachment as well as from disk.
 */
import { LucernaError } from '../../errors.js';
import { escapeHtml } from './escape.js';
import { externalReferences } from './self-contained.js';
import { REPORT_CSS } from './style.js';

/** A section of a page: a heading and its body (markup built with the kit). */
export interface Section {
  readonly title?: string;
  /** The element id (for links from a summary). */
  readonly id?: string;
  /** Extra class of the `<section>`. */
  readonly className?: string;
  readonly body: string;
}

/** Options of {@link page}. */
export interface PageOptions {
  /** A muted line under the title (text, escaped). */
  readonly subtitle?: string;
  /** Markup under the subtitle, inside the header (e.g. a summary list, callouts). */
  readonly header?: string;
  /** The Lucerna version, for the generator tag. */
  readonly version?: string;
}

/**
 * A section's markup.
 *
 * @example `section({ title: 'Settings', body: settingsTable(settings) })`
 */
export function section(s: Section): string {
  const id = s.id ? ` id="${escapeHtml(s.id)}"` : '';
  const cls = s.className ? ` class="${escapeHtml(s.className)}"` : '';
  return `<section${id}${cls}>${s.title ? `<h2>${escapeHtml(s.title)}</h2>` : ''}\n${s.body}\n</section>`;
}

/**
 * A whole report page. Throws if the page would reference anything outside itself (a bug guard:
 * every image must be a data URI).
 *
 * @example
 * ```ts
 * const html = page('Lucerna evaluation: cnn.onnx', [{ title: 'Scores', body: table(rows) }], { subtitle: '3 images' });
 * await writeFileAtomic('report.html', html);
 * ```
 */
export function page(title: string, sections: readonly (Section | string)[], options: PageOptions = {}): string {
  const version = options.version ? `\n<meta name="generator" content="lucerna ${escapeHtml(options.version)}">` : '';
  const subtitle = options.subtitle ? `\n<div class="muted">${escapeHtml(options.subtitle)}</div>` : '';
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">${version}
<title>${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>${subtitle}
${options.header ?? ''}
</header>
${sections.map((s) => (typeof s === 'string' ? s : section(s))).join('\n')}
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
