/**
 * Colours and textures of the procedural parts data set. Every part of every class draws its two
 * colours from the same palette, so colour alone never tells the class; a texture mixes the two
 * colours by position (stripes, spots, checks, a gradient, or plain).
 */

/** An RGB colour, 0..255 per channel. */
export type Rgb = readonly [number, number, number];

/** The shared palette: objects, parts and distractors all draw from it. @example `PALETTE[0] // { name: 'red', rgb: [200, 50, 40] }` */
export const PALETTE: readonly { readonly name: string; readonly rgb: Rgb }[] = [
  { name: 'red', rgb: [200, 50, 40] },
  { name: 'orange', rgb: [235, 140, 30] },
  { name: 'yellow', rgb: [230, 210, 60] },
  { name: 'green', rgb: [60, 160, 70] },
  { name: 'teal', rgb: [40, 150, 150] },
  { name: 'blue', rgb: [50, 90, 200] },
  { name: 'purple', rgb: [130, 60, 170] },
  { name: 'brown', rgb: [120, 80, 45] },
  { name: 'grey', rgb: [140, 140, 140] },
  { name: 'white', rgb: [235, 235, 230] },
];

/** Texture names, for parts, distractors and backgrounds. @example `TEXTURES.includes('stripes') // true` */
export const TEXTURES = ['plain', 'stripes', 'spots', 'checks', 'gradient'] as const;
export type TextureName = (typeof TEXTURES)[number];

/** A texture with its parameters: period (in the coordinates it is evaluated in) and direction. */
export interface Texture {
  readonly name: TextureName;
  readonly period: number;
  readonly angle: number;
  readonly phase: number;
}

/**
 * How much of the second colour a texture puts at (x, y), in [0, 1].
 *
 * @example
 * ```ts
 * textureMix({ name: 'stripes', period: 4, angle: 0, phase: 0 }, 1, 0); // 0 (first half of a stripe)
 * ```
 */
export function textureMix(t: Texture, x: number, y: number): number {
  if (t.name === 'plain') return 0;
  const cos = Math.cos(t.angle);
  const sin = Math.sin(t.angle);
  const u = (x * cos + y * sin) / t.period + t.phase;
  const v = (-x * sin + y * cos) / t.period + t.phase;
  const frac = (a: number) => a - Math.floor(a);
  if (t.name === 'stripes') return frac(u) < 0.5 ? 0 : 1;
  if (t.name === 'checks') return (Math.floor(u) + Math.floor(v)) % 2 === 0 ? 0 : 1;
  if (t.name === 'spots') return Math.hypot(frac(u) - 0.5, frac(v) - 0.5) < 0.28 ? 1 : 0;
  return Math.min(1, Math.max(0, 0.5 + 0.5 * Math.sin(u * Math.PI)));
}

/**
 * Mixes two colours: `(1 − t)·a + t·b`.
 *
 * @example
 * ```ts
 * mix([0, 0, 0], [200, 100, 0], 0.5); // [100, 50, 0]
 * ```
 */
export function mix(a: Rgb, b: Rgb, t: number): [number, number, number] {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/**
 * A random texture from `rng`, with a period in `[minPeriod, 2·minPeriod)`; `name` forces one.
 *
 * @example
 * ```ts
 * const t = randomTexture(seededRandom(1), 0.15);
 * ```
 */
export function randomTexture(rng: () => number, minPeriod: number, name?: TextureName): Texture {
  return {
    name: name ?? (TEXTURES[Math.floor(rng() * TEXTURES.length)] as TextureName),
    period: minPeriod * (1 + rng()),
    angle: rng() * Math.PI,
    phase: rng(),
  };
}

/**
 * Two distinct palette indices drawn from `rng`.
 *
 * @example
 * ```ts
 * const [a, b] = twoColours(seededRandom(3));
 * ```
 */
export function twoColours(rng: () => number): [number, number] {
  const a = Math.floor(rng() * PALETTE.length);
  const b = (a + 1 + Math.floor(rng() * (PALETTE.length - 1))) % PALETTE.length;
  return [a, b];
}
