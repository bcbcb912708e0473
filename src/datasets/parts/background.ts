/**
 * The cluttered backdrop of the procedural parts data set: a textured background in two muted
 * colours, and distractor shapes (ellipses, triangles, bars) in the objects' own palette and
 * textures, drawn behind the object so that its masks stay exact.
 */
import { capsule, ellipse, inside, type Shape, triangle } from './shapes.js';
import { mix, PALETTE, type Rgb, randomTexture, type Texture, type TextureName, textureMix, twoColours } from './textures.js';

/** A distractor: a shape in image pixels with its colours and texture. */
export interface Distractor {
  readonly shape: Shape;
  readonly colours: readonly [number, number];
  readonly texture: Texture;
}

/** The drawn backdrop: background texture and colours, and the distractors back to front. */
export interface Backdrop {
  readonly texture: Texture;
  readonly colours: readonly [Rgb, Rgb];
  readonly distractors: readonly Distractor[];
}

const GREY: Rgb = [128, 128, 128];

function randomShape(rng: () => number, size: number): Shape {
  const c: [number, number] = [rng() * size, rng() * size];
  const r = size * (0.05 + 0.12 * rng());
  const kind = Math.floor(rng() * 3);
  if (kind === 0) return ellipse(c, r, r * (0.4 + 0.6 * rng()), rng() * Math.PI);
  if (kind === 1) {
    const a = rng() * Math.PI * 2;
    const corner = (k: number): [number, number] => [c[0] + r * Math.cos(a + (k * 2 * Math.PI) / 3), c[1] + r * Math.sin(a + (k * 2 * Math.PI) / 3)];
    return triangle(corner(0), corner(1), corner(2));
  }
  const a = rng() * Math.PI;
  return capsule([c[0] - r * Math.cos(a), c[1] - r * Math.sin(a)], [c[0] + r * Math.cos(a), c[1] + r * Math.sin(a)], r * 0.25);
}

/**
 * Draws a backdrop from `rng`: background texture (forced to `texture` when given), two palette
 * colours mixed halfway with grey, and 2–5 distractors.
 *
 * @example
 * ```ts
 * const backdrop = randomBackdrop(seededRandom(1), 64);
 * backdropColour(backdrop, 10.5, 3.5); // [r, g, b]
 * ```
 */
export function randomBackdrop(rng: () => number, size: number, texture?: TextureName): Backdrop {
  const t = randomTexture(rng, size / 14, texture);
  const [a, b] = twoColours(rng);
  const colours: [Rgb, Rgb] = [mix((PALETTE[a] as { rgb: Rgb }).rgb, GREY, 0.5), mix((PALETTE[b] as { rgb: Rgb }).rgb, GREY, 0.5)];
  const count = 2 + Math.floor(rng() * 4);
  const distractors = Array.from(
    { length: count },
    (): Distractor => ({ shape: randomShape(rng, size), colours: twoColours(rng), texture: randomTexture(rng, size / 20) }),
  );
  return { texture: t, colours, distractors };
}

/**
 * The colour of the backdrop at image point (x, y): the front-most distractor there, else the
 * background.
 *
 * @example
 * ```ts
 * const [r, g, b] = backdropColour(backdrop, 0.5, 0.5);
 * ```
 */
export function backdropColour(backdrop: Backdrop, x: number, y: number): [number, number, number] {
  for (let i = backdrop.distractors.length - 1; i >= 0; i--) {
    const d = backdrop.distractors[i] as Distractor;
    if (inside(d.shape, x, y)) {
      const [a, b] = d.colours;
      return mix((PALETTE[a] as { rgb: Rgb }).rgb, (PALETTE[b] as { rgb: Rgb }).rgb, textureMix(d.texture, x, y));
    }
  }
  return mix(backdrop.colours[0], backdrop.colours[1], textureMix(backdrop.texture, x, y));
}
