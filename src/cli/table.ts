/**
 * Plain-text tables with aligned columns, for the CLI's human output.
 */

/** One column: its header and whether numbers align right. */
export interface Column {
  readonly header: string;
  readonly align?: 'left' | 'right';
}

/**
 * Lays out rows under headers, each column as wide as its widest cell, two spaces apart.
 * Trailing spaces are trimmed.
 *
 * @example
 * ```ts
 * formatTable([{ header: 'op' }, { header: 'count', align: 'right' }], [['Conv', '20'], ['Relu', '17']]);
 * // 'op    count\nConv     20\nRelu     17'
 * ```
 */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[], indent = ''): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    indent +
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        const width = widths[i] as number;
        return c.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join('\n');
}

/**
 * Key–value lines with the values aligned.
 *
 * @example
 * ```ts
 * formatPairs([['model', 'm.onnx'], ['opset', '13']]); // 'model  m.onnx\nopset  13'
 * ```
 */
export function formatPairs(pairs: readonly (readonly [string, string])[], indent = ''): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${indent}${k.padEnd(width)}  ${v}`.trimEnd()).join('\n');
}

/**
 * Groups digits in thousands: 11689512 → "11,689,512".
 *
 * @example
 * ```ts
 * formatCount(3504872); // '3,504,872'
 * ```
 */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
