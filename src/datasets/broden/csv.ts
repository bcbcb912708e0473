/**
 * The small CSV dialect of Broden's files (Python's `csv` module defaults): comma separated, a
 * header row, fields quoted with `"` when they hold a comma, a quote or a line break, `""` for a
 * quote inside a quoted field. Isomorphic: strings in, strings out.
 */
import { LucernaError } from '../../errors.js';

/**
 * Splits CSV text into rows of fields (quoted fields may span lines). A trailing newline adds no
 * row; `\r\n` and `\n` both end a row.
 *
 * @example
 * ```ts
 * parseCsvRows('a,b\n1,"x,y"\n'); // [['a', 'b'], ['1', 'x,y']]
 * ```
 */
export function parseCsvRows(text: string, what = 'the CSV file'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRow = () => {
    row.push(field);
    rows.push(row);
    row = [];
    field = '';
  };
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i++;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') endRow();
    else if (ch !== '\r') field += ch;
    i++;
  }
  if (quoted) throw new LucernaError('BAD_FILE', `${what} ends inside a quoted field`, 'Check that every opening quote is closed');
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

/**
 * Parses CSV text with a header into one record per row (header name → field). A row with a
 * different number of fields than the header is a BAD_FILE error naming the line.
 *
 * @example
 * ```ts
 * parseCsvRecords('name,n\nred,1\n'); // { header: ['name', 'n'], records: [{ name: 'red', n: '1' }] }
 * ```
 */
export function parseCsvRecords(text: string, what = 'the CSV file'): { header: string[]; records: Record<string, string>[] } {
  const rows = parseCsvRows(text.replace(/^\uFEFF/, ''), what);
  const header = rows[0];
  if (!header || header.every((h) => h === '')) throw new LucernaError('BAD_FILE', `${what} is empty`, 'It needs a header row');
  const records = rows.slice(1).map((fields, i) => {
    if (fields.length !== header.length)
      throw new LucernaError('BAD_FILE', `${what} line ${i + 2} has ${fields.length} fields, the header has ${header.length}`);
    return Object.fromEntries(header.map((h, j) => [h, fields[j] as string]));
  });
  return { header, records };
}

/**
 * One CSV field, quoted only when it must be.
 *
 * @example
 * ```ts
 * csvField('a,b'); // '"a,b"'
 * ```
 */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * One CSV line (with its `\n`).
 *
 * @example
 * ```ts
 * csvLine(['red', 3]); // 'red,3\n'
 * ```
 */
export function csvLine(values: readonly (string | number)[]): string {
  return `${values.map(csvField).join(',')}\n`;
}

/**
 * Reads CSV text with a header into records, requiring the given columns; blank rows are
 * skipped and short rows padded with ''. Lenient where {@link parseCsvRecords} is strict, for the
 * side files of a set (`landmarks.csv`, `attributes.csv`). `what` names the file in errors.
 *
 * @example
 * ```ts
 * parseCsv('image,x\na.png,3\n', ['image', 'x'], 'landmarks.csv'); // [{ image: 'a.png', x: '3' }]
 * ```
 */
export function parseCsv(text: string, required: readonly string[], what: string): Record<string, string>[] {
  const [header, ...rows] = parseCsvRows(text.replace(/^\uFEFF/, ''), what);
  if (!header) throw new LucernaError('BAD_FILE', `${what} is empty`);
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length)
    throw new LucernaError('BAD_FILE', `${what} has no column ${missing.map((m) => `"${m}"`).join(', ')}`, `Its header must list ${required.join(',')}`);
  return rows.filter((r) => r.some((f) => f !== '')).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}
