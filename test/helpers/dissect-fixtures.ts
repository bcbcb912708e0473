/**
 * A tiny colour model and a tiny Broden-format colour set for dissection tests.
 *
 * The model maps [N, 3, 8, 8] to `features` [N, 4, 4, 4]: a 2×2, stride-2 convolution (each unit
 * sees one 2×2 block) then ReLU. Channel 0 is R − (G + B)/2 (a red detector), channel 1 is
 * B − (R + G)/2 (blue), channel 2 is G − (R + B)/2 (green), channel 3 is a constant 0.1 (it detects
 * nothing). A 1×1 convolution `mix` [N, 2, 4, 4] reads `features`; `logits` [N, 2] (global average
 * pool) is a 2-D tensor.
 */

import { BrodenWriter } from '../../src/datasets/broden/node.js';
import type { UnitScore } from '../../src/dissection/score.js';
import { buildModel } from '../../src/onnx/builder.js';
import { seededRandom } from '../../src/tensor/random.js';

export const FEATURES = 'features';

export function colourModelBytes(): Uint8Array {
  const w: number[] = [];
  const mix = [
    [1, -0.5, -0.5],
    [-0.5, -0.5, 1],
    [-0.5, 1, -0.5],
    [0, 0, 0],
  ];
  for (const m of mix) for (const c of m) for (let k = 0; k < 4; k++) w.push(c / 4);
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', 3, 8, 8] }],
    outputs: ['logits'],
    build: (b) => {
      const conv = b.op('Conv', ['x', b.weight('w', w, [4, 3, 2, 2]), b.weight('b', [0, 0, 0, 0.1], [4])], { strides: [2, 2] }, { outputs: ['conv'] });
      b.op('Relu', [conv], {}, { outputs: [FEATURES] });
      const mixed = b.op('Conv', [FEATURES, b.weight('mix.weight', [1, 0, 0, 0, 0, 1, 0, 0], [2, 4, 1, 1])], {}, { outputs: ['mix'] });
      const pooled = b.op('GlobalAveragePool', [mixed]);
      b.op('Flatten', [pooled], {}, { outputs: ['logits'] });
    },
  });
}

const COLOURS = { red: [1, 0, 0], blue: [0, 0, 1], green: [0, 1, 0] } as const;
type Colour = keyof typeof COLOURS;
const PAIRS: [Colour, Colour][] = [
  ['red', 'blue'],
  ['blue', 'green'],
  ['green', 'red'],
  ['red', 'green'],
  ['blue', 'red'],
  ['green', 'blue'],
];

/**
 * Writes `n` images 8×8: the left half one colour, the right half another (intensities jittered),
 * with a 4×4 colour segmentation (half size) and the image-level texture `plain` on odd images.
 */
export async function writeColourSet(dir: string, n = 12, seed = 1): Promise<void> {
  const u = seededRandom(seed);
  const names: Colour[] = ['red', 'blue', 'green'];
  await using w = await BrodenWriter.create(dir, {
    categories: ['color', 'texture'],
    labels: [...names.map((name) => ({ name, category: 'color' })), { name: 'plain', category: 'texture' }],
  });
  for (let i = 0; i < n; i++) {
    const [left, right] = PAIRS[i % PAIRS.length] as [Colour, Colour];
    const rgb = new Uint8Array(8 * 8 * 3);
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 8; x++) {
        const c = COLOURS[x < 4 ? left : right];
        const level = 150 + Math.floor(u() * 100);
        for (let k = 0; k < 3; k++) rgb[(y * 8 + x) * 3 + k] = (c[k] as number) * level;
      }
    const plane = new Int32Array(16);
    for (let p = 0; p < 16; p++) plane[p] = w.number(p % 4 < 2 ? left : right);
    await w.add({ name: `img${i}`, image: { rgb, width: 8, height: 8 }, sh: 4, sw: 4, labels: { color: [plane], texture: i % 2 ? ['plain'] : [] } });
  }
  await w.close();
}

/**
 * One unit's scored row for report tests: matched to `label` of `category` at IoU `score`, with a
 * `color` and a `part` entry in its per-category matches (IoU 0 for the other category).
 */
export function unitRow(unit: number, category: string, label: string, score: number, labelNumber = unit): UnitScore {
  const match = (c: string) => ({
    category: c,
    label: 1,
    name: c === category ? label : '',
    truth: 10,
    activation: 5,
    intersect: 2,
    iou: c === category ? score : 0,
  });
  return { unit, category, label, labelNumber, score, categories: [match('color'), match('part')] };
}
