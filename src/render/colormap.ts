/**
 * Colormaps from d3-scale-chromatic, sampled once into 256-entry lookup tables.
 */
import { interpolateInferno, interpolateRdBu, interpolateTurbo, interpolateViridis } from 'd3-scale-chromatic';
import { LucernaError } from '../errors.js';

/**
 * The colormaps Lucerna renders with. RdBu is diverging (for signed maps), the others sequential.
 *
 * @example `COLORMAPS.viridis(0.5); // '#21918c'`
 */
export const COLORMAPS = {
  viridis: interpolateViridis,
  inferno: interpolateInferno,
  turbo: interpolateTurbo,
  // d3's RdBu runs red → blue; reversed so that positive is red and negative is blue.
  rdbu: (t: number) => interpolateRdBu(1 - t),
} as const;

export type ColormapName = keyof typeof COLORMAPS;

/** A 256×3 RGB lookup table. */
export type ColorLut = Uint8Array;

const cache = new Map<ColormapName, ColorLut>();

function parseCssColor(css: string): [number, number, number] {
  if (css.startsWith('#')) {
    const v = Number.parseInt(css.slice(1), 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  const m = css.match(/\d+(\.\d+)?/g);
  if (!m || m.length < 3) throw new LucernaError('BAD_OPTION', `Cannot parse colour "${css}"`);
  return [Number(m[0]), Number(m[1]), Number(m[2])];
}

/**
 * The 256-entry lookup table of a colormap.
 *
 * @example
 * ```ts
 * const lut = colormapLut('viridis');
 * const [r, g, b] = lut.subarray(255 * 3, 256 * 3);
 * ```
 */
export function colormapLut(name: ColormapName): ColorLut {
  const known = cache.get(name);
  if (known) return known;
  const f = COLORMAPS[name];
  if (!f) throw new LucernaError('BAD_OPTION', `Unknown colormap "${name}"`, `Use one of ${Object.keys(COLORMAPS).join(', ')}`);
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(parseCssColor(f(i / 255)), i * 3);
  cache.set(name, lut);
  return lut;
}
