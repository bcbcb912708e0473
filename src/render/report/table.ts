/**
 * Tables for reports: a general table of rows, and the settings table (every parameter of a run as
 * readable `name | value` rows, nested groups flattened, never a JSON dump). Pure; text is escaped.
 */
import { escapeHtml } from './escape.js';
import { formatValue } from './format.js';

/** Markup that a cell shows as is (already escaped or built by the kit). */
export interface RawHtml {
  readonly html: string;
}

/**
 * One cell: text (escaped), a number (formatted with {@link formatValue}, right-aligned), raw
 * markup, or any of these with a class and a tooltip.
 */
export type Cell =
  | string
  | number
  | RawHtml
  | { readonly value: string | number | RawHtml; readonly className?: string; readonly title?: string; readonly header?: boolean };

/** Options of {@link table}. */
export interface TableOptions {
  /** Column headings (text), or cells for richer headings. */
  readonly columns?: readonly Cell[];
  /** Show the first cell of each row as a row heading (`<th>`). */
  readonly rowHeaders?: boolean;
  /** Class of the `<table>` (default `list`). */
  readonly className?: string;
  /** A caption above the table. */
  readonly caption?: string;
}

/**
 * Marks markup as already safe, for a cell or a chart caption.
 *
 * @example `table([[raw('<b>bold</b>'), 1]])`
 */
export function raw(html: string): RawHtml {
  return { html };
}

function content(v: string | number | RawHtml): { html: string; numeric: boolean } {
  if (typeof v === 'number') return { html: escapeHtml(formatValue(v)), numeric: true };
  if (typeof v === 'string') return { html: escapeHtml(v), numeric: false };
  return { html: v.html, numeric: false };
}

function cellHtml(cell: Cell, heading: boolean): string {
  const c = typeof cell === 'object' && 'value' in cell ? cell : { value: cell };
  const { html, numeric } = content(c.value);
  const tag = heading || c.header ? 'th' : 'td';
  const classes = [numeric ? 'num' : '', c.className ?? ''].filter((s) => s).join(' ');
  const attrs = `${classes ? ` class="${escapeHtml(classes)}"` : ''}${c.title ? ` title="${escapeHtml(c.title)}"` : ''}`;
  return `<${tag}${attrs}>${html}</${tag}>`;
}

/**
 * A table: rows of cells, with optional column headings and row headings. Wrapped so that a wide
 * table scrolls inside its box instead of widening the page.
 *
 * @example
 * ```ts
 * table([['saliency', 0.123], ['grad-cam', 0.08]], { columns: ['method', 'deletion AUC'], rowHeaders: true });
 * ```
 */
export function table(rows: readonly (readonly Cell[])[], options: TableOptions = {}): string {
  const head = options.columns ? `<thead><tr>${options.columns.map((c) => cellHtml(c, true)).join('')}</tr></thead>` : '';
  const body = rows.map((r) => `<tr>${r.map((c, i) => cellHtml(c, i === 0 && options.rowHeaders === true)).join('')}</tr>`).join('');
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : '';
  return `<div class="table-wrap"><table class="${escapeHtml(options.className ?? 'list')}">${caption}${head}<tbody>${body}</tbody></table></div>`;
}

/**
 * A setting's value as text: arrays as `[a, b]`, objects as `key value, …`, numbers as written,
 * an empty object or array as `none`.
 *
 * @example
 * ```ts
 * settingText([3, 32, 32]); // '[3, 32, 32]'
 * settingText({ constant: 0.5 }); // 'constant 0.5'
 * ```
 */
export function settingText(value: unknown): string {
  if (Array.isArray(value)) return value.length ? `[${value.map(settingText).join(', ')}]` : 'none';
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return entries.length ? entries.map(([k, v]) => `${humanKey(k)} ${settingText(v)}`).join(', ') : 'none';
  }
  if (value === undefined || value === null) return 'none';
  return String(value);
}

/**
 * A camelCase or kebab-case key as words.
 *
 * @example `humanKey('deletionBaseline'); // 'deletion baseline'` (`CAM layer` stays as is)
 */
export function humanKey(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])(?![A-Z])/g, (_, a: string, b: string) => `${a} ${b.toLowerCase()}`).replace(/[-_]+/g, ' ');
}

/** `[path, value]` pairs of a settings object: plain objects one level deep become grouped rows. */
function settingRows(settings: Readonly<Record<string, unknown>>): [string, string, unknown][] {
  const rows: [string, string, unknown][] = [];
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    const nested = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value).filter(([, v]) => v !== undefined) : undefined;
    if (nested && nested.length > 0 && nested.every(([, v]) => v === null || typeof v !== 'object' || Array.isArray(v) || Object.keys(v).length <= 2)) {
      for (const [k, v] of nested) rows.push([humanKey(key), humanKey(k), v]);
    } else {
      rows.push([humanKey(key), '', value]);
    }
  }
  return rows;
}

/**
 * Every setting of a run as a readable two-column table (`name | value`); one level of nested
 * groups (e.g. `curve: { steps, score }`) becomes rows `curve · steps`, keys become words.
 *
 * @example
 * ```ts
 * settingsTable({ batchSize: 16, curve: { steps: 100, score: 'probability' } });
 * // rows: "batch size | 16", "curve · steps | 100", "curve · score | probability"
 * ```
 */
export function settingsTable(settings: Readonly<Record<string, unknown>>, className = 'kv'): string {
  const rows = settingRows(settings)
    .map(
      ([group, key, value]) =>
        `<tr><th>${escapeHtml(group)}${key ? ` <span class="muted">·</span> ${escapeHtml(key)}` : ''}</th><td>${escapeHtml(settingText(value))}</td></tr>`,
    )
    .join('');
  return `<div class="table-wrap"><table class="${escapeHtml(className)}">${rows}</table></div>`;
}
