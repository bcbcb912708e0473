/**
 * torchvision's `ImageFolder` layout: one subfolder per class (sorted names are the classes), each
 * holding images. Images are decoded with sharp a batch at a time (at most `concurrency` at once),
 * resized to the model's input, scaled to [0, 1], and augmented with seeded random resized crops,
 * flips and colour jitter; nothing but the file list stays in memory.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { LucernaError } from '../../errors.js';
import { readError } from '../../io/read-error.js';
import { type AugmentOptions, colourJitter, flipHorizontal, randomResizedCropBox, sampleRandom } from '../augment.js';
import type { Dataset } from '../types.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.bmp']);

/** How to read the folder. */
export interface ImageFolderOptions {
  /** Sample shape [C, H, W] with C 1 (grey) or 3 (RGB). */
  readonly sampleShape: readonly [number, number, number];
  /** Augmentation (omit for none: validation and evaluation). */
  readonly augment?: AugmentOptions;
  readonly seed?: number;
  /** Images decoded at once (default 4). */
  readonly concurrency?: number;
  /** Class names to use (a validation folder must use the training folder's classes). */
  readonly classNames?: readonly string[];
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (e) {
    throw readError(e, `the image folder ${dir}`);
  }
}

async function scan(dir: string, given?: readonly string[]): Promise<{ classes: string[]; files: string[]; labels: number[] }> {
  const entries = await listDir(dir);
  const classes: string[] = [];
  for (const e of entries) if (!e.startsWith('.') && (await stat(join(dir, e))).isDirectory()) classes.push(e);
  if (classes.length === 0)
    throw new LucernaError(
      'BAD_FILE',
      `The image folder ${dir} has no class subfolders`,
      'Put the images of each class in their own subfolder (the ImageFolder layout)',
    );
  const names = given ? [...given] : classes;
  const files: string[] = [];
  const labels: number[] = [];
  for (const cls of classes) {
    const label = names.indexOf(cls);
    if (label < 0) throw new LucernaError('BAD_FILE', `${join(dir, cls)} is not one of the training classes (${names.join(', ')})`);
    for (const f of await listDir(join(dir, cls))) {
      if (!IMAGE_EXTENSIONS.has(extname(f).toLowerCase())) continue;
      files.push(join(dir, cls, f));
      labels.push(label);
    }
  }
  if (files.length === 0)
    throw new LucernaError(
      'BAD_FILE',
      `The image folder ${dir} has no images in its ${classes.length} class subfolders`,
      `Add images (${[...IMAGE_EXTENSIONS].join(', ')})`,
    );
  return { classes: names, files, labels };
}

/** Decodes one image to planar [C, H, W] floats in [0, 1], augmented when asked. */
async function decode(path: string, o: ImageFolderOptions, random: () => number): Promise<Float32Array> {
  const [channels, height, width] = o.sampleShape;
  let img = sharp(path, { failOn: 'error' }).rotate();
  try {
    if (o.augment?.crop) {
      const meta = await sharp(path).metadata();
      const box = randomResizedCropBox(meta.autoOrient?.width ?? meta.width ?? width, meta.autoOrient?.height ?? meta.height ?? height, random);
      img = img.extract(box);
    }
    img = img.resize(width, height, { fit: 'fill' }).removeAlpha();
    img = channels === 1 ? img.greyscale() : img.toColourspace('srgb');
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    const plane = width * height;
    const out = new Float32Array(channels * plane);
    for (let i = 0; i < plane; i++) for (let c = 0; c < channels; c++) out[c * plane + i] = (data[i * info.channels + c] as number) / 255;
    if (o.augment?.flip && random() < 0.5) flipHorizontal(out, channels, height, width);
    if (o.augment && o.augment.jitter > 0) colourJitter(out, channels, plane, o.augment.jitter, random);
    return out;
  } catch (e) {
    if (e instanceof LucernaError) throw e;
    throw new LucernaError('BAD_FILE', `Cannot decode the image ${path} (${(e as Error).message.split('\n')[0]})`, 'Remove or replace the file');
  }
}

/** An image folder: a {@link Dataset} that also lists its files (sample i is `files[i]`). */
export interface ImageFolderDataset extends Dataset {
  readonly files: readonly string[];
}

/**
 * Opens an image folder as a {@link Dataset}.
 *
 * @example
 * ```ts
 * const data = await imageFolder('data/train', { sampleShape: [3, 64, 64], augment: { crop: true, flip: true, jitter: 0.1 } });
 * ```
 */
export async function imageFolder(dir: string, o: ImageFolderOptions): Promise<ImageFolderDataset> {
  const { classes, files, labels } = await scan(dir, o.classNames);
  const all = Int32Array.from(labels);
  const sample = o.sampleShape[0] * o.sampleShape[1] * o.sampleShape[2];
  if (o.sampleShape[0] !== 1 && o.sampleShape[0] !== 3)
    throw new LucernaError('UNSUPPORTED_MODEL', `Image folders feed 1 or 3 channels; the model takes ${o.sampleShape[0]}`);
  return {
    size: files.length,
    files,
    sampleShape: [...o.sampleShape],
    classNames: classes,
    labels: async () => all,
    async read(indices, epoch) {
      const x = new Float32Array(indices.length * sample);
      const limit = Math.max(1, o.concurrency ?? 4);
      let next = 0;
      const worker = async () => {
        while (next < indices.length) {
          const k = next++;
          const i = indices[k] as number;
          x.set(await decode(files[i] as string, o, sampleRandom(o.seed ?? 0, epoch, i)), k * sample);
        }
      };
      await Promise.all(Array.from({ length: Math.min(limit, indices.length) }, worker));
      return { x: { data: x, shape: [indices.length, ...o.sampleShape] }, labels: Int32Array.from(indices, (i) => all[i] as number) };
    },
  };
}
