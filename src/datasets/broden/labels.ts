/**
 * The concept labels of one image, as a dissection consumes them, and the `R + 256·G` coding of
 * Broden's segmentation PNGs. Isomorphic.
 */
import { LucernaError } from '../../errors.js';

/** The labels of one image, at the segmentation size `sh × sw`. */
export interface ImageLabels {
  readonly sh: number;
  readonly sw: number;
  /** Pixel planes, each `sh·sw` label numbers row by row (0 = no label); from every category. */
  readonly planes: readonly Int32Array[];
  /** Image-level label numbers (e.g. textures, scenes): each covers the whole image. */
  readonly scalars: readonly number[];
}

/**
 * Decodes a segmentation PNG's pixels (interleaved, `channels` ≥ 2 per pixel) into label numbers,
 * `R + 256·G`.
 *
 * @example
 * ```ts
 * labelsFromRgb(new Uint8Array([3, 1, 0]), 3); // Int32Array [259]
 * ```
 */
export function labelsFromRgb(pixels: Uint8Array, channels: number): Int32Array {
  if (channels < 2) throw new LucernaError('BAD_FILE', `A segmentation PNG needs red and green channels, got ${channels} channel`, 'Label = R + 256·G');
  const n = Math.floor(pixels.length / channels);
  const out = new Int32Array(n);
  for (let i = 0, p = 0; i < n; i++, p += channels) out[i] = (pixels[p] as number) + 256 * (pixels[p + 1] as number);
  return out;
}

/**
 * Encodes label numbers (0 … 65535) as interleaved RGB: R = label mod 256, G = ⌊label / 256⌋, B = 0.
 *
 * @example
 * ```ts
 * labelsToRgb(new Int32Array([259])); // Uint8Array [3, 1, 0]
 * ```
 */
export function labelsToRgb(labels: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(labels.length * 3);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i] as number;
    if (!Number.isInteger(v) || v < 0 || v > 65535)
      throw new LucernaError('BAD_OPTION', `Label ${v} cannot be written to a segmentation PNG`, 'Labels are 0 … 65535');
    out[i * 3] = v & 255;
    out[i * 3 + 1] = v >> 8;
  }
  return out;
}
