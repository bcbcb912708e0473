/**
 * HTML escaping for the report: every piece of user or model text goes through here.
 */

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML content and attribute values.
 *
 * @example
 * ```ts
 * escapeHtml('<b>"cat"</b>'); // '&lt;b&gt;&quot;cat&quot;&lt;/b&gt;'
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/**
 * A probability as a percentage with one decimal (two below 1 %).
 *
 * @example
 * ```ts
 * formatPercent(0.9931); // '99.3%'
 * formatPercent(0.0042); // '0.42%'
 * ```
 */
export function formatPercent(p: number): string {
  const pct = p * 100;
  return `${pct < 1 ? pct.toFixed(2) : pct.toFixed(1)}%`;
}

/**
 * Milliseconds as `850 ms` or `2.4 s`.
 *
 * @example `formatMs(2412); // '2.4 s'`
 */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
