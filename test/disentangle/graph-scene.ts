/**
 * A synthetic two-layer "network" for explanatory-graph tests: activation maps drawn as Gaussian
 * blobs over a translating object with a head and a tail, so the ground truth is known.
 * - top layer (8×8, stride 8): filter 0 fires on the body centre with ±4 px jitter; filter 1 at a
 *   random place (a distractor).
 * - lower layer (16×16, stride 4): filter 0 fires on BOTH head and tail with random strengths, so
 *   its maximum jumps between them; filter 1 on the head with ±5 px jitter; filter 2 at random.
 */
import type { ActivationMap } from '../../src/disentangle/graph/types.js';
import { seededRandom } from '../../src/tensor/random.js';

export const SIZE: [number, number] = [64, 64];

export interface SceneImage {
  readonly maps: ActivationMap[];
  readonly landmarks: Map<string, readonly [number, number]>;
}

function blobs(channels: number, h: number, w: number, parts: { c: number; x: number; y: number; a: number }[]): ActivationMap {
  const data = new Float32Array(channels * h * w);
  const s2 = 2 * 4 * 4;
  for (const p of parts) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const cx = ((j + 0.5) * SIZE[1]) / w;
        const cy = ((i + 0.5) * SIZE[0]) / h;
        const k = p.c * h * w + i * w + j;
        data[k] = Math.max(data[k] as number, p.a * Math.exp(-((cx - p.x) ** 2 + (cy - p.y) ** 2) / s2));
      }
    }
  }
  return { data, channels, height: h, width: w };
}

/**
 * `n` images of the scene, seeded.
 *
 * @example
 * ```ts
 * const images = scene(40, 1);
 * ```
 */
export function scene(n: number, seed: number): SceneImage[] {
  const rand = seededRandom(seed);
  const u = (a: number, b: number) => a + (b - a) * rand();
  return Array.from({ length: n }, () => {
    const cx = 32 + u(-10, 10);
    const cy = 32 + u(-10, 10);
    const head: [number, number] = [cx - 14 + u(-1, 1), cy + u(-1, 1)];
    const tail: [number, number] = [cx + 14 + u(-1, 1), cy + u(-1, 1)];
    const top = blobs(2, 8, 8, [
      { c: 0, x: cx + u(-4, 4), y: cy + u(-4, 4), a: 1 },
      { c: 1, x: u(4, 60), y: u(4, 60), a: u(0.5, 1) },
    ]);
    const lower = blobs(3, 16, 16, [
      { c: 0, x: head[0], y: head[1], a: u(0.5, 1.5) },
      { c: 0, x: tail[0], y: tail[1], a: u(0.5, 1.5) },
      { c: 1, x: head[0] + u(-5, 5), y: head[1] + u(-5, 5), a: 1 },
      { c: 2, x: u(4, 60), y: u(4, 60), a: u(0.5, 1) },
    ]);
    return {
      maps: [lower, top],
      landmarks: new Map([
        ['head', head],
        ['tail', tail],
      ]),
    };
  });
}
