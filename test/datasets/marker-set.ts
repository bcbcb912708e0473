/**
 * A tiny hand-made landmark data set for the stability tests, written in the Broden layout with
 * the project's own encoding helpers. Each image is grey noise with two one-pixel markers:
 * - a red dot (255, 0, 0) at a chosen pixel (for objects, the pixel under the `eye` landmark,
 *   possibly shifted by a per-class offset),
 * - a blue dot (0, 0, 255) at a uniformly random pixel, independent of everything else.
 * Where both fall on one pixel it becomes magenta, so each colour filter still peaks there.
 * Landmarks sit at pixel centres: `eye` at (ex + 0.5, ey + 0.5), `tail` at eye + (5, 3).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labelsToRgb } from '../../src/datasets/broden/labels.js';
import { encodeRgbPng } from '../../src/io/image.js';
import { buildModel } from '../../src/onnx/builder.js';
import { seededRandom } from '../../src/tensor/random.js';

export const SIZE = 32;
export const TAIL_OFFSET: readonly [number, number] = [5, 3];

/** One image of the marker set, as written. */
export interface MarkerImage {
  readonly name: string;
  readonly className: string | undefined;
  readonly eye: readonly [number, number];
  readonly red: readonly [number, number];
  readonly blue: readonly [number, number];
}

export interface MarkerSetSpec {
  /** Per class: how many images and how far (pixels, x) the red dot sits from the eye. */
  readonly classes: Readonly<Record<string, { count: number; redOffset: number; tail: boolean }>>;
  /** Background-only images; they still get an `eye` row in landmarks.csv, away from the red dot. */
  readonly none: number;
  readonly seed: number;
  /** Extra landmarks.csv lines (for bad-input tests). */
  readonly extraLandmarks?: readonly string[];
  readonly noLandmarks?: boolean;
}

/** Eye positions: uniform over pixels 2…22 on both axes, so eye + tail offset + red offset stay inside. */
export const EYE_RANGE: readonly [number, number] = [2, 22];

export async function writeMarkerSet(dir: string, spec: MarkerSetSpec): Promise<MarkerImage[]> {
  mkdirSync(join(dir, 'images'), { recursive: true });
  const u = seededRandom(spec.seed);
  const pick = (lo: number, hi: number) => lo + Math.floor(u() * (hi - lo + 1));
  const classes = Object.keys(spec.classes);
  const index = ['image,split,ih,iw,sh,sw,object,part'];
  const landmarks = ['image,landmark,x,y'];
  const images: MarkerImage[] = [];
  const jobs: { className: string | undefined; redOffset: number; tail: boolean }[] = [
    ...classes.flatMap((c) =>
      Array.from({ length: spec.classes[c]?.count ?? 0 }, () => ({
        className: c,
        redOffset: spec.classes[c]?.redOffset ?? 0,
        tail: spec.classes[c]?.tail ?? false,
      })),
    ),
    ...Array.from({ length: spec.none }, () => ({ className: undefined, redOffset: 0, tail: false })),
  ];
  for (const [k, job] of jobs.entries()) {
    const name = `img_${String(k).padStart(4, '0')}.png`;
    const eye: [number, number] = [pick(EYE_RANGE[0], EYE_RANGE[1]), pick(EYE_RANGE[0], EYE_RANGE[1])];
    // Background images put their red dot far from the eye row they carry.
    const red: [number, number] = job.className ? [eye[0] + job.redOffset, eye[1]] : [(eye[0] + 16) % SIZE, (eye[1] + 16) % SIZE];
    const blue: [number, number] = [pick(0, SIZE - 1), pick(0, SIZE - 1)];
    const rgb = new Uint8Array(SIZE * SIZE * 3);
    for (let p = 0; p < SIZE * SIZE; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = 118 + Math.floor(u() * 20);
    const at = (q: readonly [number, number]) => (q[1] * SIZE + q[0]) * 3;
    rgb.set([255, 0, 0], at(red));
    rgb.set([rgb[at(blue)] === 255 ? 255 : 0, 0, 255], at(blue));
    writeFileSync(join(dir, 'images', name), await encodeRgbPng(rgb, SIZE, SIZE));
    let objectCell = '';
    if (job.className) {
      const plane = new Uint8Array(SIZE * SIZE);
      const number = classes.indexOf(job.className) + 1;
      for (let y = eye[1] - 1; y <= eye[1] + 1; y++) for (let x = eye[0] - 1; x <= eye[0] + 1; x++) plane[y * SIZE + x] = number;
      objectCell = name.replace('.png', '_object.png');
      writeFileSync(join(dir, 'images', objectCell), await encodeRgbPng(labelsToRgb(plane), SIZE, SIZE));
    }
    index.push(`${name},train,${SIZE},${SIZE},${SIZE},${SIZE},${objectCell},`);
    landmarks.push(`${name},eye,${eye[0] + 0.5},${eye[1] + 0.5}`);
    if (job.tail) landmarks.push(`${name},tail,${eye[0] + 0.5 + TAIL_OFFSET[0]},${eye[1] + 0.5 + TAIL_OFFSET[1]}`);
    images.push({ name, className: job.className, eye, red, blue });
  }
  writeFileSync(join(dir, 'index.csv'), `${index.join('\n')}\n`);
  writeFileSync(
    join(dir, 'label.csv'),
    `number,name,category,frequency,coverage,syns\n${classes.map((c, i) => `${i + 1},${c},object(1),1,0.01,${c}`).join('\n')}\n`,
  );
  writeFileSync(join(dir, 'category.csv'), `name,first,last,count,frequency\nobject,1,${classes.length},${classes.length},1\n`);
  if (!spec.noLandmarks) writeFileSync(join(dir, 'landmarks.csv'), `${[...landmarks, ...(spec.extraLandmarks ?? [])].join('\n')}\n`);
  return images;
}

/** conv 1×1 (filter 0: R − G − B, the red detector; filter 1: B − R − G, the blue one) → relu → 2×2 max pool → global max → logits. */
export function markerModel(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', 3, SIZE, SIZE] }],
    outputs: ['logits'],
    build: (b) => {
      const c = b.op('Conv', ['x', b.weight('w', [1, -1, -1, -1, -1, 1], [2, 3, 1, 1])], {}, { outputs: ['conv'] });
      b.op('Relu', [c], {}, { outputs: ['relu'] });
      b.op('MaxPool', ['relu'], { kernel_shape: [2, 2], strides: [2, 2] }, { outputs: ['pool'] });
      const g = b.op('GlobalMaxPool', ['pool']);
      b.op('Flatten', [g], {}, { outputs: ['logits'] });
    },
  });
}
