/**
 * A small RFC 4180 CSV reader for the data set files (Broden's `index.csv`, `label.csv`,
 * `landmarks.csv`): quoted fields, doubled quotes, CRLF or LF. Pure and isomorphic.
 */
import { LucernaError } from '../../errors.js';

/**
 * Splits CSV text into rows of fields. A trailing newline does not make an empty row.
 *
 * @example
 * ```ts
 * parseCsvRows('a,"b,c"\n1,2\n'); // [['a', 'b,c'], ['1', '2']]
 * ```
 */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * Reads CSV text with a header into records, requiring the given columns. `what` names the file in
 * errors.
 *
 * @example
 * ```ts
 * parseCsv('image,x\na.png,3\n', ['image', 'x'], 'landmarks.csv'); // [{ image: 'a.png', x: '3' }]
 * ```
 */
export function parseCsv(text: string, required: readonly string[], what: string): Record<string, string>[] {
  const [header, ...rows] = parseCsvRows(text.replace(/^\uFEFF/, ''));
  if (!header) throw new LucernaError('BAD_FILE', `${what} is empty`);
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length)
    throw new LucernaError('BAD_FILE', `${what} has no column ${missing.map((m) => `"${m}"`).join(', ')}`, `Its header must list ${required.join(',')}`);
  return rows.filter((r) => r.some((f) => f !== '')).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}
