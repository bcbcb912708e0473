/**
 * Checks that a report page is self-contained: it must open offline, so it may reference nothing
 * outside itself (every image a `data:` URI, no stylesheets, scripts, fonts or links to fetch).
 */

const PATTERNS: readonly RegExp[] = [
  // Attributes that load or link to something: src, href, srcset, poster, action, data, xlink:href.
  /\b(?:src|href|srcset|poster|action|data|xlink:href)\s*=\s*["']?([^"'\s>]+)/gi,
  // CSS: url(...) and @import.
  /url\(\s*["']?([^"')]+)/gi,
  /@import\s+["']?([^"';\s]+)/gi,
];

/** True for a reference that stays inside the page: a `data:` URI or a `#fragment`. */
function isInline(ref: string): boolean {
  return /^data:/i.test(ref) || ref.startsWith('#');
}

/**
 * Every reference in `html` that would need a file or the network: anything in src/href/url(…)
 * that is not a `data:` URI or a `#fragment`, plus any `http:`, `https:` or protocol-relative `//`
 * URL anywhere in the page.
 *
 * @example
 * ```ts
 * externalReferences('<img src="data:image/png;base64,AAAA">'); // []
 * externalReferences('<link href="https://cdn.example/x.css">'); // ['https://cdn.example/x.css']
 * ```
 */
export function externalReferences(html: string): string[] {
  const found = new Set<string>();
  for (const pattern of PATTERNS) {
    for (const m of html.matchAll(pattern)) {
      const ref = (m[1] ?? '').trim();
      if (ref && !isInline(ref)) found.add(ref);
    }
  }
  const withoutDataUris = html.replace(/data:[a-z/+.-]+;base64,[A-Za-z0-9+/=]+/gi, '');
  for (const m of withoutDataUris.matchAll(/(?:https?:)?\/\/[^\s"'<>)]+/gi)) {
    if (/^https?:/i.test(m[0]) || /["'(=\s]$/.test(withoutDataUris[(m.index ?? 0) - 1] ?? ' ')) found.add(m[0]);
  }
  return [...found];
}
