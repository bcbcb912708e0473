/**
 * A tiny generated set of unit positions for active-QA tests, with a known answer: the part sits
 * at a random place t on each 64×64 image, and the units are
 * - 0–2, "two-mode" (like a filter that fires on the head or on the tail, the explanatory graph's
 *   premise): on about a quarter of the images (drawn per unit) at the tail, t + (28, 0),
 *   otherwise at t ± 0.5 px;
 * - 3–4, "steady": at t + (−6, 4) ± 2 px on every image;
 * - 5–9, noise: anywhere, firing on 70 % of the images.
 * On a few random images the two-mode units look best; the images where they sit on the tail are
 * the ones that tell them apart from the steady ones.
 */
import type { QaImage } from '../../src/disentangle/qa/index.js';
import { seededRandom } from '../../src/tensor/random.js';

export const QA_SIZE: [number, number] = [64, 64];

/** One image: its units and the true part. */
export interface QaSceneImage extends QaImage {
  readonly part: readonly [number, number];
}

/**
 * `n` images of the scene, seeded.
 *
 * @example
 * ```ts
 * const images = qaScene(30, 1);
 * ```
 */
export function qaScene(n: number, seed: number): QaSceneImage[] {
  const rand = seededRandom(seed);
  const u = (a: number, b: number) => a + (b - a) * rand();
  return Array.from({ length: n }, (_, i) => {
    const t: [number, number] = [u(8, 30), u(8, 56)];
    const x: number[] = [];
    const y: number[] = [];
    const value: number[] = [];
    for (let k = 0; k < 3; k++) {
      const tail = rand() < 0.25;
      x.push(tail ? t[0] + 28 : t[0] + u(-0.5, 0.5));
      y.push(t[1] + u(-0.5, 0.5));
      value.push(1);
    }
    for (let k = 0; k < 2; k++) {
      x.push(t[0] - 6 + u(-2, 2));
      y.push(t[1] + 4 + u(-2, 2));
      value.push(1);
    }
    for (let k = 0; k < 5; k++) {
      const on = rand() < 0.7;
      x.push(on ? u(0, 64) : Number.NaN);
      y.push(on ? u(0, 64) : Number.NaN);
      value.push(on ? 1 : 0);
    }
    return { id: `s${seed}-${i}`, units: { x, y, value }, part: t };
  });
}
