/**
 * A procedural concept set in the spirit of Broden (Bau et al. 2017, https://arxiv.org/abs/1704.05796):
 * every image is a textured background (an image-level `texture` label, drawn in two colours) with
 * one to three solid shapes on it (`object` labels), later shapes occluding earlier ones, and the
 * shapes' parts (`part` labels, `core` inside `centre` on a second plane). Every pixel has exactly
 * one colour of the palette, so the `color` segmentation is exact.
 *
 * Images are drawn on a grid of `size/2` cells and each cell is a 2×2 block of pixels, so the
 * half-size segmentation (as in Broden) is exact too. Balance: image i has texture i mod 5 and its
 * first shape is shape i mod 4; colours are drawn from a reshuffled cycle of the palette. With
 * n ≥ 500 every label is in at least 40 images (see the test for the measured minimum).
 * Isomorphic and deterministic in the seed.
 */
import { LucernaError, positiveInteger } from '../../errors.js';
import { seededRandom } from '../../tensor/random.js';
import type { LabelSpec } from '../broden/builder.js';
import { PARTS, type Part, type Placed, SHAPES, shapeTest } from './shapes.js';

/** The palette: colour label → sRGB. */
export const PALETTE: Readonly<Record<string, readonly [number, number, number]>> = {
  red: [220, 30, 30],
  orange: [245, 140, 20],
  yellow: [240, 220, 40],
  green: [40, 170, 60],
  cyan: [40, 200, 220],
  blue: [30, 60, 210],
  purple: [130, 50, 180],
  pink: [245, 150, 190],
  white: [245, 245, 245],
  gray: [128, 128, 128],
  black: [20, 20, 20],
  brown: [120, 75, 35],
};

/** Image-level textures. */
export const TEXTURES = ['striped', 'dotted', 'checkered', 'grid', 'zigzag'] as const;
export type Texture = (typeof TEXTURES)[number];

const COLOURS = Object.keys(PALETTE);

/** The categories and labels of the set, in label-number order. */
export const CONCEPT_SPEC: { categories: string[]; labels: LabelSpec[] } = {
  categories: ['color', 'object', 'part', 'texture'],
  labels: [
    ...COLOURS.map((name) => ({ name, category: 'color' })),
    ...SHAPES.map((name) => ({ name, category: 'object' })),
    ...PARTS.map((name) => ({ name, category: 'part' })),
    ...TEXTURES.map((name) => ({ name, category: 'texture' })),
  ],
};

/** One generated image with its labels by name (planes hold label names' numbers per {@link CONCEPT_SPEC}). */
export interface ConceptImage {
  readonly name: string;
  readonly rgb: Uint8Array;
  readonly size: number;
  /** Segmentation size (size / 2). */
  readonly seg: number;
  readonly color: Int32Array;
  readonly object: Int32Array;
  readonly part: readonly Int32Array[];
  readonly texture: Texture;
}

function labelNumber(name: string): number {
  return CONCEPT_SPEC.labels.findIndex((l) => l.name === name) + 1;
}

function texturePixel(t: Texture, x: number, y: number, phase: number, period: number): boolean {
  const px = x + phase;
  const py = y + phase;
  if (t === 'striped') return Math.floor(py / period) % 2 === 0;
  if (t === 'checkered') return (Math.floor(px / period) + Math.floor(py / period)) % 2 === 0;
  if (t === 'grid') return px % (2 * period) < 2 || py % (2 * period) < 2;
  if (t === 'dotted') {
    const s = 2 * period;
    return Math.hypot((px % s) - s / 2 + 0.5, (py % s) - s / 2 + 0.5) <= period * 0.55;
  }
  const s = 2 * period;
  return Math.abs((py % s) - Math.abs((px % (2 * s)) - s)) < period / 2 + 0.5;
}

/** Draws colours from a reshuffled cycle, skipping the ones to avoid. */
class ColourCycle {
  private queue: string[] = [];
  constructor(private readonly u: () => number) {}
  next(avoid: readonly string[]): string {
    for (let tries = 0; tries < 3 * COLOURS.length; tries++) {
      if (this.queue.length === 0) {
        this.queue = [...COLOURS];
        for (let i = this.queue.length - 1; i > 0; i--) {
          const j = Math.floor(this.u() * (i + 1));
          [this.queue[i], this.queue[j]] = [this.queue[j] as string, this.queue[i] as string];
        }
      }
      const c = this.queue.shift() as string;
      if (!avoid.includes(c)) return c;
      this.queue.push(c);
    }
    return COLOURS.find((c) => !avoid.includes(c)) as string;
  }
}

/**
 * Generates the `n` images of the set with `seed`, one at a time (the same seed gives the same
 * images). `size` (even, default 224) is the image side; segmentations are `size/2`.
 *
 * @example
 * ```ts
 * for (const img of generateConcepts({ n: 500, seed: 1 })) await writer.add(conceptRecord(img));
 * ```
 */
export function* generateConcepts(options: { n: number; seed: number; size?: number }): Generator<ConceptImage> {
  const size = options.size ?? 224;
  if (!Number.isInteger(size) || size < 32 || size % 2) throw new LucernaError('BAD_OPTION', `The image size must be an even integer ≥ 32, got ${size}`);
  positiveInteger(options.n, 'The number of images');
  const seg = Math.floor(size / 2);
  const u = seededRandom(options.seed);
  const cycle = new ColourCycle(u);
  for (let i = 0; i < options.n; i++) {
    const texture = TEXTURES[i % TEXTURES.length] as Texture;
    const a = cycle.next([]);
    const b = cycle.next([a]);
    const count = 1 + Math.floor(u() * 3);
    const placed: (Placed & { colour: string })[] = [];
    for (let k = 0; k < count; k++) {
      const shape = k === 0 ? SHAPES[i % SHAPES.length] : SHAPES[Math.floor(u() * SHAPES.length)];
      const r = seg * (0.14 + u() * 0.22);
      placed.push({
        shape: shape as Placed['shape'],
        r,
        cx: r * 0.6 + u() * (seg - 1.2 * r),
        cy: r * 0.6 + u() * (seg - 1.2 * r),
        theta: u() * 2 * Math.PI,
        colour: cycle.next([a, b]),
      });
    }
    yield drawImage(`concept_${String(i).padStart(5, '0')}`, size, seg, texture, [a, b], placed, 2 + Math.floor(u() * 4), Math.floor(u() * 8));
  }
}

function drawImage(
  name: string,
  size: number,
  seg: number,
  texture: Texture,
  bg: [string, string],
  placed: (Placed & { colour: string })[],
  period: number,
  phase: number,
): ConceptImage {
  const color = new Int32Array(seg * seg);
  const object = new Int32Array(seg * seg);
  const part1 = new Int32Array(seg * seg);
  const part2 = new Int32Array(seg * seg);
  const tests = placed.map((p) => shapeTest(p));
  const bgLabels = [labelNumber(bg[0]), labelNumber(bg[1])];
  for (let y = 0; y < seg; y++) {
    for (let x = 0; x < seg; x++) {
      const p = y * seg + x;
      color[p] = bgLabels[texturePixel(texture, x, y, phase, period) ? 0 : 1] as number;
      for (let k = tests.length - 1; k >= 0; k--) {
        const t = tests[k];
        if (!t?.inside(x, y)) continue;
        const shape = placed[k] as Placed & { colour: string };
        color[p] = labelNumber(shape.colour);
        object[p] = labelNumber(shape.shape);
        const [first, second] = t.parts(x, y);
        part1[p] = first ? labelNumber(first as Part) : 0;
        part2[p] = second ? labelNumber(second as Part) : 0;
        break;
      }
    }
  }
  const rgb = new Uint8Array(size * size * 3);
  const names = CONCEPT_SPEC.labels.map((l) => l.name);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const cell = Math.min(seg - 1, y >> 1) * seg + Math.min(seg - 1, x >> 1);
      const c = PALETTE[names[(color[cell] as number) - 1] as string] as readonly number[];
      rgb.set(c, (y * size + x) * 3);
    }
  }
  return { name, rgb, size, seg, color, object, part: part2.some((v) => v) ? [part1, part2] : [part1], texture };
}
