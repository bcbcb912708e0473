/**
 * The procedural part-annotated data set (issue #15): animal-like figures with exact object and
 * part masks and landmarks, the ground truth that location instability (Zhang et al. 2018,
 * "Interpretable Convolutional Neural Networks", https://arxiv.org/abs/1710.00935) and part
 * dissection (Bau et al. 2017, "Network Dissection", https://arxiv.org/abs/1704.05796) need.
 *
 * `partsSample(seed, index, options)` is a pure function: the same (seed, index, options) always
 * gives the same sample, so a set can be written in shards or regenerated one image at a time.
 * Nothing is held beyond the one sample.
 */
import { LucernaError } from '../../errors.js';
import { seededRandom } from '../../tensor/random.js';
import { type Backdrop, backdropColour, randomBackdrop } from './background.js';
import { type BiasRule, biasedBackground, biasedColour } from './bias.js';
import { FIGURE_CLASSES, type FigurePart, PART_NAMES } from './figures.js';
import { inside, type Placement, toCanonical, toImage } from './shapes.js';
import { mix, PALETTE, type Rgb, randomTexture, type Texture, type TextureName, textureMix, twoColours } from './textures.js';

/** The label of background-only images. @example `partsSample(1, 5).className === NONE_CLASS // true` */
export const NONE_CLASS = 'none';

/** Options of {@link partsSample}. */
export interface PartsOptions {
  /** Image side in pixels (default 64, at least 16). */
  readonly size?: number;
  /** Number of object classes, 1…5 (default 5); `none` comes on top. */
  readonly classes?: number;
  /** Fraction of images in the `val` split (default 0.2). */
  readonly valFraction?: number;
  /** Planted correlations, applied to the `train` split only. */
  readonly bias?: readonly BiasRule[];
}

/** A landmark in image pixels (x right, y down, (0, 0) the top-left corner of the top-left pixel). */
export interface Landmark {
  readonly name: string;
  readonly x: number;
  readonly y: number;
}

/** How one part was drawn. */
export interface PartAttributes {
  readonly present: boolean;
  readonly colour?: string;
  readonly colour2?: string;
  readonly texture?: TextureName;
}

/** Image-level attributes, for bias studies and analysis. */
export interface SampleAttributes {
  readonly background: TextureName;
  readonly distractors: number;
  /** Per part name of the class. */
  readonly parts: Readonly<Record<string, PartAttributes>>;
  /** The pose; undefined for `none` images. */
  readonly pose?: { readonly x: number; readonly y: number; readonly scale: number; readonly rotation: number };
}

/** One generated image with its ground truth. */
export interface PartsSample {
  readonly index: number;
  readonly split: 'train' | 'val';
  /** The class name (`none` for background-only images) and its 0-based index (`none` last). */
  readonly className: string;
  readonly classIndex: number;
  readonly size: number;
  /** Interleaved RGB, `size × size × 3`. */
  readonly rgb: Uint8Array;
  /** 1 where the object is, else 0. */
  readonly object: Uint8Array;
  /** 1 + index into {@link PART_NAMES} where a part is, else 0. */
  readonly parts: Uint8Array;
  readonly landmarks: readonly Landmark[];
  readonly attributes: SampleAttributes;
}

/** The class names for `classes` object classes, `none` last. @example `classNames(2) // ['bird', 'fish', 'none']` */
export function classNames(classes = 5): string[] {
  return [...FIGURE_CLASSES.slice(0, classes).map((c) => c.name), NONE_CLASS];
}

function hash(seed: number, index: number, stream: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index >>> 0, 0x85ebca6b) ^ Math.imul(stream, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

function checkOptions(options: PartsOptions): { size: number; classes: number; valFraction: number } {
  const { size = 64, classes = 5, valFraction = 0.2 } = options;
  if (!Number.isInteger(size) || size < 16 || size > 1024) throw new LucernaError('BAD_OPTION', `--size must be a whole number in 16…1024, got ${size}`);
  if (!Number.isInteger(classes) || classes < 1 || classes > FIGURE_CLASSES.length)
    throw new LucernaError('BAD_OPTION', `--classes must be a whole number in 1…${FIGURE_CLASSES.length}, got ${classes}`);
  if (!(valFraction >= 0 && valFraction < 1)) throw new LucernaError('BAD_OPTION', `The validation fraction must be in [0, 1), got ${valFraction}`);
  return { size, classes, valFraction };
}

interface DrawnPart {
  readonly part: FigurePart;
  readonly id: number;
  readonly colours: readonly [Rgb, Rgb];
  readonly texture: Texture;
}

/** Which parts appear: each optional part is left out with probability 0.1 while 4 or more remain. */
function chooseParts(all: readonly FigurePart[], rng: () => number): Set<string> {
  const present = new Set(all.map((p) => p.name));
  for (const p of all) if (p.optional && present.size > 4 && rng() < 0.1) present.delete(p.name);
  return present;
}

function placement(rng: () => number, size: number): Placement {
  const scale = 0.5 + 0.5 * rng();
  const s = scale * size * 0.4;
  const margin = Math.min(1.15 * s, size / 2);
  return { cx: margin + rng() * (size - 2 * margin), cy: margin + rng() * (size - 2 * margin), scale: s, rotation: ((rng() * 2 - 1) * Math.PI) / 6 };
}

function paint(
  size: number,
  backdrop: Backdrop,
  figure: { place: Placement; parts: DrawnPart[]; eye?: readonly [number, number]; eyeR: number } | undefined,
  rng: () => number,
) {
  const rgb = new Uint8Array(size * size * 3);
  const object = new Uint8Array(size * size);
  const parts = new Uint8Array(size * size);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const p = py * size + px;
      let colour: [number, number, number] | undefined;
      if (figure) {
        const [qx, qy] = toCanonical(figure.place, [px + 0.5, py + 0.5]);
        for (let k = figure.parts.length - 1; k >= 0 && !colour; k--) {
          const d = figure.parts[k] as DrawnPart;
          if (!d.part.shapes.some((s) => inside(s, qx, qy))) continue;
          object[p] = 1;
          parts[p] = d.id;
          const eye = d.part.name === 'head' && figure.eye && Math.hypot(qx - figure.eye[0], qy - figure.eye[1]) <= figure.eyeR;
          colour = eye ? [20, 20, 20] : mix(d.colours[0], d.colours[1], textureMix(d.texture, qx, qy));
        }
      }
      colour ??= backdropColour(backdrop, px + 0.5, py + 0.5);
      for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.max(0, Math.min(255, Math.round((colour[c] as number) + (rng() - 0.5) * 12)));
    }
  }
  return { rgb, object, parts };
}

/**
 * Generates image `index` of the set with this `seed`. Classes cycle with the index (index mod
 * (classes + 1); the last is `none`), so every class is equally frequent.
 *
 * @example
 * ```ts
 * const s = partsSample(7, 0, { size: 64 });
 * s.className; // 'bird'
 * s.landmarks.find((l) => l.name === 'eye'); // { name: 'eye', x: …, y: … }
 * ```
 */
export function partsSample(seed: number, index: number, options: PartsOptions = {}): PartsSample {
  const { size, classes, valFraction } = checkOptions(options);
  if (!Number.isInteger(index) || index < 0) throw new LucernaError('BAD_OPTION', `The image index must be a whole number ≥ 0, got ${index}`);
  const split = seededRandom(hash(seed, index, 1))() < valFraction ? 'val' : 'train';
  const classIndex = index % (classes + 1);
  const className = classNames(classes)[classIndex] as string;
  const rng = seededRandom(hash(seed, index, 2));
  const forced = split === 'train' ? biasedBackground(options.bias ?? [], className, rng(), rng()) : undefined;
  const backdrop = randomBackdrop(rng, size, forced);
  // `none` is the last class index, which is a figure class whenever `classes` < 5: never draw one.
  const figureClass = className === NONE_CLASS ? undefined : FIGURE_CLASSES[classIndex];
  let figure: Parameters<typeof paint>[2];
  const attrs: Record<string, PartAttributes> = {};
  const landmarks: Landmark[] = [];
  let pose: SampleAttributes['pose'];
  if (figureClass) {
    const all = figureClass.build(() => rng() * 2 - 1);
    const present = chooseParts(all, rng);
    const place = placement(rng, size);
    const drawn: DrawnPart[] = [];
    for (const part of all) {
      if (!present.has(part.name)) {
        attrs[part.name] = { present: false };
        continue;
      }
      const [drawnA, b0] = twoColours(rng);
      const planted =
        split === 'train' && options.bias?.some((r) => r.attribute === `${part.name}_colour`)
          ? biasedColour(options.bias, className, part.name, drawnA, rng())
          : undefined;
      const a = planted ?? drawnA;
      const b = b0 === a ? (a + 1) % PALETTE.length : b0;
      const texture = randomTexture(rng, 0.15);
      drawn.push({ part, id: PART_NAMES.indexOf(part.name) + 1, colours: [(PALETTE[a] as { rgb: Rgb }).rgb, (PALETTE[b] as { rgb: Rgb }).rgb], texture });
      attrs[part.name] = { present: true, colour: PALETTE[a]?.name, colour2: PALETTE[b]?.name, texture: texture.name };
      for (const [name, q] of part.landmarks) {
        const [x, y] = toImage(place, q);
        landmarks.push({ name, x, y });
      }
    }
    const eye = all.find((p) => p.name === 'head')?.landmarks.find(([n]) => n === 'eye')?.[1];
    figure = { place, parts: drawn, eye, eyeR: Math.max(0.06, 0.75 / place.scale) };
    pose = { x: place.cx, y: place.cy, scale: place.scale / (size * 0.4), rotation: (place.rotation * 180) / Math.PI };
  }
  const painted = paint(size, backdrop, figure, rng);
  const attributes: SampleAttributes = { background: backdrop.texture.name, distractors: backdrop.distractors.length, parts: attrs, pose };
  return { index, split, className, classIndex, size, ...painted, landmarks, attributes };
}
