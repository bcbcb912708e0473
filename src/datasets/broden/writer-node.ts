/**
 * Node-only writing of a Broden folder, one image at a time: each image and its segmentation PNGs
 * are written as they come, the index lines go to a temporary file, and `close()` writes
 * `label.csv`, `category.csv`, `c_<category>.csv` and finally renames `index.csv` into place, so an
 * interrupted run never leaves a folder that looks complete.
 */
import { appendFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { LucernaError } from '../../errors.js';
import type { RgbImage } from '../../io/image.js';
import { writeFileAtomic } from '../../io/write.js';
import { BrodenBuilder, type BrodenRecord, type BrodenSpec } from './builder.js';
import { labelsToRgb } from './labels.js';

/** A record plus its pixels (`iw × ih` RGB). */
export interface BrodenImageRecord extends Omit<BrodenRecord, 'ih' | 'iw'> {
  readonly image: RgbImage;
}

async function png(rgb: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
}

function writeError(path: string, e: unknown): LucernaError {
  if (e instanceof LucernaError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  return new LucernaError('BAD_FILE', `Cannot write ${path} (${code ?? (e as Error).message})`, 'Choose a directory you can write to');
}

/**
 * Writes a Broden-format set that NetDissect-Lite's loader and `openBroden` read. Images are
 * stored as PNG (lossless, so colour labels stay exact).
 *
 * @example
 * ```ts
 * await using writer = await BrodenWriter.create('out/concepts', { categories: ['color'], labels: [{ name: 'red', category: 'color' }] });
 * await writer.add({ name: 'img1', image, sh: 56, sw: 56, labels: { color: [plane] } });
 * await writer.close();
 * ```
 */
export class BrodenWriter implements AsyncDisposable {
  private closed = false;
  private readonly indexTmp: string;

  private constructor(
    readonly directory: string,
    readonly builder: BrodenBuilder,
  ) {
    this.indexTmp = join(directory, `.index.csv.${process.pid}.tmp`);
  }

  /** Creates the folder (and `images/`) and starts the index. */
  static async create(directory: string, spec: BrodenSpec): Promise<BrodenWriter> {
    const writer = new BrodenWriter(directory, new BrodenBuilder(spec));
    try {
      await mkdir(join(directory, 'images'), { recursive: true });
      await writeFile(writer.indexTmp, writer.builder.indexHeader());
    } catch (e) {
      throw writeError(directory, e);
    }
    return writer;
  }

  /** The number of a declared label. */
  number(name: string): number {
    return this.builder.number(name);
  }

  /** Writes one image, its segmentation planes and its index line. */
  async add(record: BrodenImageRecord): Promise<void> {
    if (this.closed) throw new LucernaError('DISPOSED', 'The Broden writer is closed');
    const { image } = record;
    const { indexLine, imagePath, planes } = this.builder.add({ ...record, ih: image.height, iw: image.width });
    const target = join(this.directory, 'images', imagePath);
    try {
      await writeFile(target, await png(image.rgb, image.width, image.height));
      for (const p of planes) await writeFile(join(this.directory, 'images', p.path), await png(labelsToRgb(p.labels), p.width, p.height));
      await appendFile(this.indexTmp, indexLine);
    } catch (e) {
      throw writeError(target, e);
    }
  }

  /** Writes the CSV files and moves `index.csv` into place; returns the number of images. */
  async close(): Promise<{ images: number; directory: string }> {
    if (this.closed) return { images: this.builder.images, directory: this.directory };
    this.closed = true;
    const files = this.builder.finish();
    for (const [name, text] of Object.entries(files)) await writeFileAtomic(join(this.directory, name), text);
    try {
      await rename(this.indexTmp, join(this.directory, 'index.csv'));
    } catch (e) {
      throw writeError(join(this.directory, 'index.csv'), e);
    }
    return { images: this.builder.images, directory: this.directory };
  }

  /** Drops the unfinished index (images already written stay); a closed writer is untouched. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await rm(this.indexTmp, { force: true });
  }
}
