/**
 * Data shaping for the studio's QA view (active question-answering part learning, Zhang et al.
 * 2017, https://arxiv.org/abs/1704.03173): which dataset images a session asks about, and how far
 * the part model's guesses are from the landmarks the data set ships (the page's running score).
 * Pure and isomorphic.
 */
import type { SelectionMargin } from '../../disentangle/qa/simulate.js';
import type { Point } from '../../disentangle/qa/types.js';
import type { DatasetImage, DatasetListing } from '../server/dataset.js';

/**
 * Up to `max` images for a session on `part`: images that have a landmark of that part first (the
 * validation split before training images), then the rest, each group in listing order.
 *
 * @example
 * ```ts
 * qaPool(listing, 'head', 24).map((im) => im.path);
 * ```
 */
export function qaPool(listing: Pick<DatasetListing, 'images' | 'landmarks'>, part: string, max: number): DatasetImage[] {
  const marked = new Set(listing.landmarks.filter((l) => l.part === part).map((l) => l.image));
  const rank = (im: DatasetImage) => (marked.has(im.path) ? 0 : 2) + (im.split === 'val' ? 0 : 1);
  return listing.images
    .map((im, i) => ({ im, i, r: rank(im) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .slice(0, Math.max(0, max))
    .map((e) => e.im);
}

/**
 * The landmark of `part` on each image (image pixels), by image path.
 *
 * @example
 * ```ts
 * partTruth(listing, 'head').get('images/parts_0001.png'); // [31.5, 12]
 * ```
 */
export function partTruth(listing: Pick<DatasetListing, 'landmarks'>, part: string): Map<string, Point> {
  return new Map(listing.landmarks.filter((l) => l.part === part).map((l) => [l.image, [l.x, l.y] as const]));
}

/**
 * Mean distance between guesses and landmarks over the images that have both, divided by the
 * image diagonal (the normalised localisation error); undefined when none has both.
 *
 * @example
 * ```ts
 * meanNormalisedError([[[0, 0], [3, 4]]], 10); // 0.5
 * ```
 */
export function meanNormalisedError(pairs: readonly (readonly [Point, Point])[], diagonal: number): number | undefined {
  if (pairs.length === 0 || !(diagonal > 0)) return undefined;
  let sum = 0;
  for (const [[gx, gy], [tx, ty]] of pairs) sum += Math.hypot(gx - tx, gy - ty);
  return sum / pairs.length / diagonal;
}

/**
 * The margin of active over random selection in questions, as one sentence.
 *
 * @example
 * ```ts
 * marginText({ error: 0.03, random: 10, active: 2 }); // 'To reach random selection’s final error (0.0300): random needs 10 questions, active 2.'
 * ```
 */
export function marginText(m: SelectionMargin): string {
  return `To reach random selection’s final error (${m.error.toFixed(4)}): random needs ${m.random} questions, active ${m.active === null ? 'does not within them' : m.active}.`;
}
