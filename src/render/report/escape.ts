/**
 * HTML escaping for every report: each piece of user, file or model text goes through here, in
 * element content, attribute values and inline SVG alike (the one escaping function of Lucerna).
 */

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML (and SVG) content and attribute values.
 *
 * @example
 * ```ts
 * escapeHtml('<b>"cat"</b>'); // '&lt;b&gt;&quot;cat&quot;&lt;/b&gt;'
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}
