/**
 * Number formatting for reports, captions and colour bars: one way to write a value, a
 * percentage, a duration or a count, everywhere. Pure.
 */

/**
 * A real value with 3 significant digits; exponent notation (`1.23e-4`) below 1e-3 and from 1e5;
 * `–` for NaN and `∞`/`-∞` for infinities.
 *
 * @example
 * ```ts
 * formatValue(12.3456); // '12.3'
 * formatValue(0.000123456); // '1.23e-4'
 * formatValue(Number.NaN); // '–'
 * ```
 */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) {
    const [mantissa, exponent] = v.toExponential(2).split('e') as [string, string];
    return `${mantissa.replace(/\.?0+$/, '')}e${Number(exponent)}`;
  }
  return String(Number(v.toPrecision(3)));
}

/**
 * A fraction as a percentage with one decimal (two below 1 %).
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

/**
 * A count with its noun, pluralised with `s` unless given.
 *
 * @example
 * ```ts
 * formatCount(1, 'image'); // '1 image'
 * formatCount(3, 'image'); // '3 images'
 * ```
 */
export function formatCount(n: number, noun: string, plural = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun : plural}`;
}

/**
 * The last component of a path (either separator), for titles and headings.
 *
 * @example `fileName('/data/cats/tabby.png'); // 'tabby.png'`
 */
export function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}
