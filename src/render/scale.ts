/**
 * Display scaling of attribution maps: which sign is shown, and which real values the ends of the
 * colormap stand for. Pure functions; every renderer returns the {@link DisplayRange} it used, so a
 * report can print it next to the image (a map is never silently normalised).
 *
 * Scaling is outlier-robust: the top of the range is a percentile (default the 99th) of the shown
 * values rather than their maximum, so one extreme pixel does not wash out the rest; values past it
 * are clipped, and the fraction clipped is reported.
 */

import { LucernaError } from '../errors.js';
import { percentile } from '../tensor/percentile.js';
import { formatValue } from './report/format.js';

/**
 * Which part of a signed map is shown (Captum's `sign` argument of `visualize_image_attr`):
 * - `positive`: max(a, 0), evidence for the target
 * - `negative`: max(−a, 0), evidence against it, shown as magnitudes
 * - `absolute`: |a|
 * - `all`: a itself, on a diverging colormap centred at zero
 */
export type Sign = 'positive' | 'negative' | 'absolute' | 'all';

/** Every {@link Sign}, for option parsing. @example `SIGNS.includes('all'); // true` */
export const SIGNS: readonly Sign[] = ['positive', 'negative', 'absolute', 'all'];

/** How the bottom of a one-sided range is chosen: at zero, or at a low percentile (robust min–max). */
export type RangeFloor = 'zero' | 'percentile';

/** How a range is computed from the values. */
export interface RangeOptions {
  readonly sign: Sign;
  /** Percentile of the shown values (of |a| for `all`) mapped to full colour; default 99. */
  readonly percentile?: number;
  /** One-sided maps only: `zero` (default) or `percentile` (the `lowPercentile` of the shown values). */
  readonly floor?: RangeFloor;
  /** The low percentile for `floor: 'percentile'`; default 1. */
  readonly lowPercentile?: number;
}

/**
 * The real values at the two ends of the colormap, and how they were found. For `all` the range
 * is symmetric, lo = −hi.
 */
export interface DisplayRange {
  readonly sign: Sign;
  /** The value at the bottom of the colormap. */
  readonly lo: number;
  /** The value at the top of the colormap (full colour). */
  readonly hi: number;
  /** How `hi` was found: a percentile of these values, a percentile over several maps, or given. */
  readonly source: 'percentile' | 'shared-percentile' | 'fixed';
  /** The percentile used for `hi` (undefined when fixed). */
  readonly percentile?: number;
  /** The percentile used for `lo` when the floor is a percentile. */
  readonly lowPercentile?: number;
}

function checkSign(sign: Sign): void {
  if (!SIGNS.includes(sign)) throw new LucernaError('BAD_OPTION', `Unknown sign "${String(sign)}"`, `Use one of ${SIGNS.join(', ')}`);
}

/**
 * The values a sign shows: max(a, 0), max(−a, 0), |a|, or a unchanged.
 *
 * @example
 * ```ts
 * signedValues(Float32Array.from([-2, 1]), 'negative'); // Float32Array [2, 0]
 * ```
 */
export function signedValues(values: ArrayLike<number>, sign: Sign): Float32Array {
  checkSign(sign);
  const out = new Float32Array(values.length);
  for (let i = 0; i < out.length; i++) {
    const v = values[i] as number;
    out[i] = sign === 'positive' ? Math.max(v, 0) : sign === 'negative' ? Math.max(-v, 0) : sign === 'absolute' ? Math.abs(v) : v;
  }
  return out;
}

function checkPercentile(q: number, what: string): number {
  if (!(q >= 0 && q <= 100)) throw new LucernaError('BAD_OPTION', `The ${what} percentile must be in [0, 100], got ${q}`);
  return q;
}

/** Range of already sign-transformed values (the union of several maps, for a shared range). */
function rangeOf(shown: Float32Array, options: RangeOptions, source: DisplayRange['source']): DisplayRange {
  const q = checkPercentile(options.percentile ?? 99, 'scaling');
  if (options.sign === 'all') {
    const hi = percentile(Float32Array.from(shown, Math.abs), q);
    return { sign: 'all', lo: -hi, hi, source, percentile: q };
  }
  const hi = percentile(shown, q);
  if ((options.floor ?? 'zero') === 'zero') return { sign: options.sign, lo: 0, hi, source, percentile: q };
  const lowQ = checkPercentile(options.lowPercentile ?? 1, 'floor');
  return { sign: options.sign, lo: Math.min(percentile(shown, lowQ), hi), hi, source, percentile: q, lowPercentile: lowQ };
}

/**
 * The display range of one map: hi = the q-th percentile of the shown values (of |a| for `all`),
 * lo = 0, −hi, or a low percentile.
 *
 * @example
 * ```ts
 * displayRange(plane.data, { sign: 'all' }); // { sign: 'all', lo: -0.02, hi: 0.02, source: 'percentile', percentile: 99 }
 * ```
 */
export function displayRange(values: ArrayLike<number>, options: RangeOptions): DisplayRange {
  return rangeOf(signedValues(values, options.sign), options, 'percentile');
}

/**
 * One display range for several maps, from the percentile over all their values together, so
 * that their magnitudes can be compared (same colour, same value).
 *
 * @example
 * ```ts
 * const range = sharedDisplayRange([mapForCat.data, mapForDog.data], { sign: 'positive' });
 * const images = [mapForCat, mapForDog].map((m) => renderHeatmap(m, { sign: 'positive', range }));
 * ```
 */
export function sharedDisplayRange(maps: readonly ArrayLike<number>[], options: RangeOptions): DisplayRange {
  const total = maps.reduce((n, m) => n + m.length, 0);
  const all = new Float32Array(total);
  let offset = 0;
  for (const m of maps) {
    all.set(signedValues(m, options.sign), offset);
    offset += m.length;
  }
  return rangeOf(all, options, 'shared-percentile');
}

/**
 * A range with a given top (and bottom: 0, or −top for `all`), e.g. the same scale for every map
 * of a figure.
 *
 * @example
 * ```ts
 * fixedRange('all', 0.5); // { sign: 'all', lo: -0.5, hi: 0.5, source: 'fixed' }
 * ```
 */
export function fixedRange(sign: Sign, hi: number, lo?: number): DisplayRange {
  checkSign(sign);
  if (!Number.isFinite(hi) || hi < 0) throw new LucernaError('BAD_OPTION', `A display scale must be a finite number ≥ 0, got ${hi}`);
  const bottom = sign === 'all' ? -hi : (lo ?? 0);
  if (!Number.isFinite(bottom) || bottom > hi) throw new LucernaError('BAD_OPTION', `The bottom of a display range must be ≤ its top, got [${bottom}, ${hi}]`);
  return { sign, lo: bottom, hi, source: 'fixed' };
}

/**
 * Maps shown values into [0, 1] along the colormap: (v − lo) / (hi − lo), clipped. A constant map
 * (hi = lo) goes to 0, or to the middle (0.5) for `all`. Returns the positions and how many values
 * were clipped at either end.
 *
 * @example
 * ```ts
 * const { t, clipped } = positions(signedValues(plane.data, 'all'), range);
 * ```
 */
export function positions(shown: ArrayLike<number>, range: DisplayRange): { t: Float32Array; clipped: number } {
  const t = new Float32Array(shown.length);
  const span = range.hi - range.lo;
  let clipped = 0;
  for (let i = 0; i < t.length; i++) {
    const v = shown[i] as number;
    if (!(span > 0)) {
      t[i] = range.sign === 'all' ? 0.5 : 0;
      continue;
    }
    const x = (v - range.lo) / span;
    if (x < 0 || x > 1) clipped++;
    t[i] = Math.min(1, Math.max(0, x));
  }
  return { t, clipped };
}

/**
 * A one-line description of a range, for captions: what the colours mean in real values.
 *
 * @example
 * ```ts
 * describeRange({ sign: 'all', lo: -0.02, hi: 0.02, source: 'percentile', percentile: 99 });
 * // 'signed, ±0.02 (99th percentile of |a|)'
 * ```
 */
export function describeRange(range: DisplayRange): string {
  const shownAs = { positive: 'positive part', negative: 'negative part (magnitude)', absolute: '|a|', all: 'signed' }[range.sign];
  const of = range.sign === 'all' || range.sign === 'absolute' ? '|a|' : range.sign === 'positive' ? 'max(a, 0)' : 'max(−a, 0)';
  const how =
    range.source === 'fixed'
      ? 'fixed scale'
      : `${range.source === 'shared-percentile' ? 'shared ' : ''}${ordinal(range.percentile ?? 99)} percentile of ${of}${
          range.lowPercentile !== undefined ? `, floor at the ${ordinal(range.lowPercentile)}` : ''
        }`;
  const values = range.sign === 'all' ? `±${formatValue(range.hi)}` : `${formatValue(range.lo)} to ${formatValue(range.hi)}`;
  return `${shownAs}, ${values} (${how})`;
}

function ordinal(q: number): string {
  const n = Number(q.toPrecision(4));
  const tens = Math.floor(n) % 100;
  const suffix = Number.isInteger(n) && (tens < 11 || tens > 13) ? ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] : undefined;
  return `${n}${suffix ?? 'th'}`;
}
