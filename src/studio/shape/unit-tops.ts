/**
 * Top patches of a layer's units for the studio's units view (Zeiler & Fergus 2014,
 * https://arxiv.org/abs/1311.2901): per channel, the images where its strongest peak is largest.
 * Pure and isomorphic.
 */
import type { ImagePeaks } from '../../disentangle/graph/types.js';

/** One unit's best images: index into the scanned list, peak position (model px) and value. */
export interface UnitTop {
  readonly channel: number;
  readonly hits: readonly { readonly image: number; readonly x: number; readonly y: number; readonly value: number }[];
}

/**
 * Per channel of one layer, the `top` images with the largest peak, from per-image peaks.
 *
 * @example
 * ```ts
 * unitTops(peaks, 4)[0].hits[0].image; // the image where channel 0 fires most
 * ```
 */
export function unitTops(peaks: readonly ImagePeaks[], top: number): UnitTop[] {
  const channels = peaks[0]?.[0]?.length ?? 0;
  return Array.from({ length: channels }, (_, channel) => {
    const hits = peaks
      .map((p, image) => {
        const f = p[0]?.[channel];
        return { image, x: f?.x[0] ?? 0, y: f?.y[0] ?? 0, value: f?.value[0] ?? 0 };
      })
      .filter((h) => h.value > 0)
      .sort((a, b) => b.value - a.value)
      .slice(0, top);
    return { channel, hits };
  });
}
