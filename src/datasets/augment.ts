/**
 * Seeded image augmentation as pure functions: the crop box of torchvision's `RandomResizedCrop`
 * (scale 0.08–1, aspect ratio 3/4–4/3, ten tries then a centre crop), a horizontal flip, and a
 * small colour jitter (brightness, contrast, saturation) on planar float images in [0, 1].
 * The random resized crop is from Szegedy et al. 2015 (https://arxiv.org/abs/1409.4842).
 */
import { seededRandom } from '../tensor/random.js';

/** Which augmentations run (each can be turned off). */
export interface AugmentOptions {
  readonly crop: boolean;
  readonly flip: boolean;
  /** Largest relative change of brightness, contrast and saturation (0 turns jitter off). */
  readonly jitter: number;
}

/** A crop box in pixels. */
export interface Box {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * The seeded generator of one sample in one epoch.
 *
 * @example
 * ```ts
 * const random = sampleRandom(0, 3, 1234);
 * ```
 */
export function sampleRandom(seed: number, epoch: number, index: number): () => number {
  return seededRandom((Math.imul(seed + 1, 2_654_435_761) ^ Math.imul(epoch + 1, 40_503) ^ Math.imul(index + 1, 97_859)) >>> 0);
}

/**
 * torchvision's RandomResizedCrop box for an image of `width`×`height`.
 *
 * @example
 * ```ts
 * const box = randomResizedCropBox(640, 480, sampleRandom(0, 0, 7));
 * ```
 */
export function randomResizedCropBox(
  width: number,
  height: number,
  random: () => number,
  scale: readonly [number, number] = [0.08, 1],
  ratio: readonly [number, number] = [3 / 4, 4 / 3],
): Box {
  const area = width * height;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (scale[0] + (scale[1] - scale[0]) * random());
    const aspect = Math.exp(logLo + (logHi - logLo) * random());
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      return { left: Math.floor(random() * (width - w + 1)), top: Math.floor(random() * (height - h + 1)), width: w, height: h };
    }
  }
  const inRatio = width / height;
  const w = inRatio < ratio[0] ? width : inRatio > ratio[1] ? Math.round(height * ratio[1]) : width;
  const h = inRatio < ratio[0] ? Math.round(width / ratio[0]) : inRatio > ratio[1] ? height : height;
  return { left: Math.floor((width - w) / 2), top: Math.floor((height - h) / 2), width: w, height: h };
}

/**
 * Mirrors a planar [C, H, W] image left–right in place.
 *
 * @example
 * ```ts
 * flipHorizontal(pixels, 3, 32, 32);
 * ```
 */
export function flipHorizontal(pixels: Float32Array, channels: number, height: number, width: number): void {
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < height; y++) {
      const row = (c * height + y) * width;
      for (let x = 0; x < width >> 1; x++) {
        const a = pixels[row + x] as number;
        pixels[row + x] = pixels[row + width - 1 - x] as number;
        pixels[row + width - 1 - x] = a;
      }
    }
  }
}

/**
 * Colour jitter on a planar [C, H, W] image in [0, 1], in place: brightness ×b, contrast around the
 * mean grey ×c, saturation (blend with grey, RGB only) ×s, each factor uniform in [1 − j, 1 + j],
 * then clamped to [0, 1] (torchvision's ColorJitter order without the hue term).
 *
 * @example
 * ```ts
 * colourJitter(pixels, 3, 32 * 32, 0.1, sampleRandom(0, 0, 1));
 * ```
 */
export function colourJitter(pixels: Float32Array, channels: number, plane: number, j: number, random: () => number): void {
  const factor = () => 1 - j + 2 * j * random();
  const clamp = (v: number) => Math.max(0, Math.min(1, v));
  const b = factor();
  for (let i = 0; i < pixels.length; i++) pixels[i] = clamp((pixels[i] as number) * b);
  const grey = (i: number) =>
    channels === 3 ? 0.299 * (pixels[i] as number) + 0.587 * (pixels[plane + i] as number) + 0.114 * (pixels[2 * plane + i] as number) : (pixels[i] as number);
  let mean = 0;
  for (let i = 0; i < plane; i++) mean += grey(i);
  mean /= plane;
  const c = factor();
  for (let i = 0; i < pixels.length; i++) pixels[i] = clamp(mean + ((pixels[i] as number) - mean) * c);
  if (channels !== 3) return;
  const s = factor();
  for (let i = 0; i < plane; i++) {
    const g = grey(i);
    for (let ch = 0; ch < 3; ch++) pixels[ch * plane + i] = clamp(g + ((pixels[ch * plane + i] as number) - g) * s);
  }
}
