/**
 * The mean shape of a set of landmarked images and the similarity alignment into it, so the peaks
 * of a filter over many images can be drawn on one canvas (location instability, Zhang et al.,
 * "Interpretable Convolutional Neural Networks", CVPR 2018, https://arxiv.org/abs/1710.00935, §4).
 * Pure geometry; runs anywhere.
 */
import type { InstabilityImage } from './location-instability.js';

/**
 * The mean position of every landmark over the images.
 *
 * @example
 * ```ts
 * meanShape(images); // [{ name: 'eye', x: 31.2, y: 20.4 }, …]
 * ```
 */
export function meanShape(images: readonly InstabilityImage[]): { name: string; x: number; y: number }[] {
  const sums = new Map<string, [number, number, number]>();
  for (const image of images) {
    for (const [name, [x, y]] of image.landmarks) {
      const s = sums.get(name) ?? [0, 0, 0];
      sums.set(name, [s[0] + x, s[1] + y, s[2] + 1]);
    }
  }
  return [...sums].map(([name, [x, y, n]]) => ({ name, x: x / n, y: y / n }));
}

/**
 * Maps a point of one image into the mean-shape frame: the 2-D similarity (Procrustes, closed form
 * in complex numbers) that best takes the image's landmarks onto the mean shape's, or a
 * translation when only one landmark is shared.
 *
 * @example
 * ```ts
 * toMeanShape([5, 5], new Map([['a', [0, 0]], ['b', [10, 0]]]), new Map([['a', [0, 0]], ['b', [20, 0]]])); // [10, 10]
 * ```
 */
export function toMeanShape(
  p: readonly [number, number],
  landmarks: ReadonlyMap<string, readonly [number, number]>,
  mean: ReadonlyMap<string, readonly [number, number]>,
): [number, number] | undefined {
  const pairs = [...landmarks].flatMap(([name, a]) => (mean.has(name) ? [[a, mean.get(name) as readonly [number, number]] as const] : []));
  if (pairs.length === 0) return undefined;
  const n = pairs.length;
  const [ax, ay, bx, by] = pairs.reduce((s, [a, b]) => [s[0] + a[0] / n, s[1] + a[1] / n, s[2] + b[0] / n, s[3] + b[1] / n], [0, 0, 0, 0]);
  let re = 1;
  let im = 0;
  if (n > 1) {
    let dot = 0;
    let cross = 0;
    let norm = 0;
    for (const [a, b] of pairs) {
      const [u, v, x, y] = [a[0] - ax, a[1] - ay, b[0] - bx, b[1] - by];
      dot += u * x + v * y;
      cross += u * y - v * x;
      norm += u * u + v * v;
    }
    if (norm > 0) [re, im] = [dot / norm, cross / norm];
  }
  const [u, v] = [p[0] - ax, p[1] - ay];
  return [bx + re * u - im * v, by + im * u + re * v];
}
