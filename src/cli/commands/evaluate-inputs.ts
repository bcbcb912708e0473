/**
 * The inputs of `lucerna evaluate`: the image files of a folder, the masks that go with them (a PNG
 * with the same file stem; nonzero means object), checked up front, and each mask loaded at the
 * model's input size with the same resize as its image.
 */
import { readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';
import { LucernaError } from '../../errors.js';
import { readBytes } from '../../io/files.js';
import { centerCropGeometry, type ResolvedPreprocessing } from '../../io/preprocess.js';
import type { Tensor } from '../../tensor/tensor.js';

/** File extensions read as images (what sharp decodes). */
const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif']);

/** One image to evaluate, with its mask when masks are given. */
export interface EvaluationInput {
  readonly image: string;
  readonly mask?: string;
}

const stem = (file: string) => basename(file, extname(file));

/** At most `count` names, then "and N more". */
function listSome(names: readonly string[], count = 5): string {
  const shown = names.slice(0, count).join(', ');
  return names.length > count ? `${shown} and ${names.length - count} more` : shown;
}

async function listFolder(dir: string, what: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LucernaError('FILE_NOT_FOUND', `Cannot find the ${what} folder: ${dir}`, 'Check the path');
    if (code === 'ENOTDIR') throw new LucernaError('BAD_OPTION', `The ${what} folder is not a folder: ${dir}`);
    throw new LucernaError('BAD_FILE', `Cannot read the ${what} folder ${dir} (${code ?? (e as Error).message})`);
  }
}

/** Width and height as a viewer shows the file (EXIF orientation applied), or undefined when unreadable. */
async function orientedSize(path: string): Promise<{ width: number; height: number } | undefined> {
  try {
    const m = await sharp(path).metadata();
    if (!m.width || !m.height) return undefined;
    return (m.orientation ?? 1) >= 5 ? { width: m.height, height: m.width } : { width: m.width, height: m.height };
  } catch {
    return undefined;
  }
}

/**
 * The image files of `imagesDir` (sorted) paired with their masks from `masksDir`. Errors: an empty
 * folder; images without a mask, masks without an image, or masks of another size than their
 * image — each listed, on one line.
 *
 * @example
 * ```ts
 * const inputs = await evaluationInputs('photos/', 'masks/');
 * ```
 */
export async function evaluationInputs(imagesDir: string, masksDir: string | undefined): Promise<EvaluationInput[]> {
  const images = (await listFolder(imagesDir, 'images')).filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()));
  if (images.length === 0) {
    throw new LucernaError('BAD_OPTION', `No images in ${imagesDir}`, `Put PNG, JPEG or WebP files there (${[...IMAGE_EXTENSIONS].join(', ')})`);
  }
  if (masksDir === undefined) return images.map((f) => ({ image: join(imagesDir, f) }));
  const masks = new Map((await listFolder(masksDir, 'masks')).filter((f) => extname(f).toLowerCase() === '.png').map((f) => [stem(f), f]));
  const stems = new Set(images.map(stem));
  const missing = images.filter((f) => !masks.has(stem(f)));
  const orphans = [...masks.values()].filter((f) => !stems.has(stem(f)));
  if (missing.length > 0 || orphans.length > 0) {
    const parts = [
      missing.length > 0 ? `${missing.length} image(s) have no mask: ${listSome(missing)}` : '',
      orphans.length > 0 ? `${orphans.length} mask(s) have no image: ${listSome(orphans)}` : '',
    ].filter(Boolean);
    throw new LucernaError(
      'BAD_OPTION',
      `The masks in ${masksDir} do not match the images: ${parts.join('; ')}`,
      'Give each image a PNG mask with the same file stem',
    );
  }
  const inputs = images.map((f) => ({ image: join(imagesDir, f), mask: join(masksDir, masks.get(stem(f)) as string) }));
  const wrongSize: string[] = [];
  for (const input of inputs) {
    const [a, b] = await Promise.all([orientedSize(input.image), orientedSize(input.mask)]);
    if (a && b && (a.width !== b.width || a.height !== b.height))
      wrongSize.push(`${basename(input.mask)} (${b.width}×${b.height}, image ${a.width}×${a.height})`);
  }
  if (wrongSize.length > 0) {
    throw new LucernaError(
      'BAD_OPTION',
      `${wrongSize.length} mask(s) differ in size from their images: ${listSome(wrongSize)}`,
      'Masks must have the size of their images',
    );
  }
  return inputs;
}

/**
 * Loads a mask as a [1, 1, H, W] tensor of 0 and 1 at the model's input size: any nonzero channel
 * marks the object; resized like the image (stretch or centre crop) with nearest neighbours.
 *
 * @example
 * ```ts
 * const mask = await loadMask('masks/cat.png', image.preprocessing);
 * ```
 */
export async function loadMask(path: string, preprocessing: ResolvedPreprocessing): Promise<Tensor> {
  const bytes = await readBytes(path, 'the mask');
  const [height, width] = preprocessing.size;
  try {
    const { data, info } = await sharp(bytes, { autoOrient: true }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const binary = new Uint8Array(info.width * info.height);
    for (let p = 0; p < binary.length; p++) {
      for (let c = 0; c < info.channels; c++) if ((data[p * info.channels + c] as number) !== 0) binary[p] = 255;
    }
    let pipeline = sharp(binary, { raw: { width: info.width, height: info.height, channels: 1 } });
    if (preprocessing.resize === 'stretch') {
      pipeline = pipeline.resize(width, height, { fit: 'fill', kernel: 'nearest' });
    } else {
      const g = centerCropGeometry(info.width, info.height, width, height);
      pipeline = pipeline.resize(g.resizeWidth, g.resizeHeight, { fit: 'fill', kernel: 'nearest' }).extract({ left: g.left, top: g.top, width, height });
    }
    const resized = await pipeline.raw().toBuffer();
    return { data: Float32Array.from(resized.subarray(0, width * height), (v) => (v > 0 ? 1 : 0)), shape: [1, 1, height, width] };
  } catch (e) {
    throw new LucernaError('BAD_FILE', `Cannot decode the mask ${path} (${String((e as Error)?.message ?? e).split('\n')[0]})`, 'Use a PNG mask');
  }
}
