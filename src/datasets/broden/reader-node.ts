/**
 * Node-only reading of a Broden folder (see `format.ts`): the CSV files up front (they are small),
 * then one image and its segmentation planes at a time, on demand. Nothing else is held.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { LucernaError } from '../../errors.js';
import { decodeSimplePng } from '../../io/png.js';
import {
  type BrodenIndexRow,
  type BrodenMeta,
  brodenMeta,
  type CategoryCode,
  parseCategoryCodes,
  parseCategoryCsv,
  parseIndexCsv,
  parseLabelCsv,
  rowHasAnyData,
} from './format.js';
import { type ImageLabels, labelsFromRgb } from './labels.js';

/** An opened Broden folder. */
export interface BrodenDataset {
  readonly directory: string;
  readonly meta: BrodenMeta;
  /** Index rows with data in at least one chosen category, in file order. */
  readonly rows: readonly BrodenIndexRow[];
  /** Index rows left out because they have no data in any chosen category. */
  readonly dropped: number;
  /** Absolute path of a row's image. */
  imagePath(row: BrodenIndexRow): string;
  /**
   * Reads a row's labels in the chosen categories. Errors: FILE_NOT_FOUND (a missing PNG), BAD_FILE,
   * BAD_SHAPE (a segmentation whose size is not sh×sw).
   */
  readLabels(row: BrodenIndexRow): Promise<ImageLabels>;
}

/** Options of {@link openBroden}. */
export interface OpenBrodenOptions {
  /** Categories to use (default: every category of `category.csv`), kept in `category.csv` order. */
  readonly categories?: readonly string[];
}

async function readText(directory: string, file: string): Promise<string> {
  try {
    return await readFile(join(directory, file), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new LucernaError(
        'FILE_NOT_FOUND',
        `${directory} is not a Broden folder: ${file} is missing`,
        'A Broden folder holds index.csv, category.csv, label.csv, c_<category>.csv and images/',
      );
    throw new LucernaError('BAD_FILE', `Cannot read ${join(directory, file)} (${code ?? (e as Error).message})`);
  }
}

async function checkFolder(directory: string): Promise<void> {
  const info = await stat(directory).catch(() => undefined);
  if (!info) throw new LucernaError('FILE_NOT_FOUND', `Cannot find the data set folder ${directory}`, 'Check the path given to --dataset');
  if (!info.isDirectory()) throw new LucernaError('BAD_FILE', `${directory} is a file, not a Broden folder`, 'Give the folder that holds index.csv');
}

async function checkImagesFolder(directory: string): Promise<void> {
  const images = await stat(join(directory, 'images')).catch(() => undefined);
  if (!images?.isDirectory())
    throw new LucernaError(
      'FILE_NOT_FOUND',
      `${directory} is not a Broden folder: images/ is missing`,
      'A Broden folder holds index.csv, category.csv, label.csv, c_<category>.csv and images/',
    );
}

function chooseCategories(all: readonly string[], indexColumns: readonly string[], wanted?: readonly string[]): string[] {
  for (const w of wanted ?? []) {
    if (!all.includes(w)) throw new LucernaError('BAD_OPTION', `Category "${w}" is not in category.csv`, `Categories: ${all.join(', ')}`);
  }
  const chosen = all.filter((c) => !wanted || wanted.includes(c));
  for (const c of chosen) if (!indexColumns.includes(c)) throw new LucernaError('BAD_FILE', `index.csv has no column for category "${c}"`);
  return chosen;
}

/** Label numbers of decoded pixels: the grey value of a grey (or grey + alpha) image, else `R + 256·G`. */
function labelsOfPixels(pixels: Uint8Array, channels: number): Int32Array {
  if (channels === 1) return Int32Array.from(pixels);
  if (channels === 2) return Int32Array.from({ length: pixels.length / 2 }, (_, i) => pixels[2 * i] as number);
  return labelsFromRgb(pixels, channels);
}

/**
 * Decodes a segmentation PNG to label numbers (`R + 256·G`; a grey PNG gives its grey value).
 *
 * @example
 * ```ts
 * const { labels, width, height } = await decodeLabelPng(bytes, 'a_color.png');
 * ```
 */
export async function decodeLabelPng(bytes: Uint8Array, what: string): Promise<{ labels: Int32Array; width: number; height: number }> {
  try {
    // Plain 8-bit RGB(A) PNGs (what Broden and `dataset concepts` write) are decoded here, the rest
    // by libvips (which also turns grey into three equal channels).
    const plain = decodeSimplePng(bytes);
    if (plain) return { labels: labelsOfPixels(plain.data, plain.channels), width: plain.width, height: plain.height };
    // libvips turns grey into three equal channels, so a grey PNG's label is read from its first channel alone.
    const grey = ((await sharp(bytes).metadata()).channels ?? 3) <= 2;
    const image = grey ? sharp(bytes).extractChannel(0) : sharp(bytes);
    const { data, info } = await image.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return { labels: labelsOfPixels(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.channels), width: info.width, height: info.height };
  } catch (e) {
    const reason = String((e as Error)?.message ?? e).split('\n')[0];
    throw new LucernaError('BAD_FILE', `Cannot decode the segmentation ${what} (${reason})`);
  }
}

async function readPlane(directory: string, row: BrodenIndexRow, path: string): Promise<Int32Array> {
  const full = join(directory, 'images', path);
  let bytes: Buffer;
  try {
    bytes = await readFile(full);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LucernaError('FILE_NOT_FOUND', `Cannot find the segmentation ${full}`, 'Check index.csv');
    throw new LucernaError('BAD_FILE', `Cannot read ${full} (${code ?? (e as Error).message})`);
  }
  const { labels, width, height } = await decodeLabelPng(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), full);
  if (width !== row.sw || height !== row.sh)
    throw new LucernaError(
      'BAD_SHAPE',
      `Segmentation ${path} is ${height}×${width} but index.csv says sh×sw = ${row.sh}×${row.sw} for ${row.image}`,
      'Fix index.csv or the PNG',
    );
  return labels;
}

/**
 * A row's labels in `categories`: a cell of label numbers only is image-level (scalars); a cell
 * with PNG paths gives one plane per entry, a number among them filling its whole plane.
 *
 * @example
 * ```ts
 * const labels = await readRowLabels('broden1_224', row, ['color', 'texture']);
 * ```
 */
export async function readRowLabels(directory: string, row: BrodenIndexRow, categories: readonly string[]): Promise<ImageLabels> {
  const planes: Int32Array[] = [];
  const scalars: number[] = [];
  for (const c of categories) {
    const cell = row.cells[c] ?? [];
    if (cell.every((e) => typeof e === 'number')) {
      scalars.push(...(cell as number[]));
      continue;
    }
    for (const e of cell) planes.push(typeof e === 'number' ? new Int32Array(row.sh * row.sw).fill(e) : await readPlane(directory, row, e));
  }
  return { sh: row.sh, sw: row.sw, planes, scalars };
}

/**
 * Opens a Broden folder: reads and checks `index.csv`, `category.csv`, `label.csv` and every
 * chosen `c_<category>.csv`. A missing file is a FILE_NOT_FOUND error naming it.
 *
 * @example
 * ```ts
 * const set = await openBroden('dataset/broden1_224', { categories: ['object', 'part', 'texture', 'color'] });
 * for (const row of set.rows) { const labels = await set.readLabels(row); }
 * ```
 */
export async function openBroden(directory: string, options: OpenBrodenOptions = {}): Promise<BrodenDataset> {
  await checkFolder(directory);
  const index = parseIndexCsv(await readText(directory, 'index.csv'));
  const allCategories = parseCategoryCsv(await readText(directory, 'category.csv'));
  const labels = parseLabelCsv(await readText(directory, 'label.csv'));
  const categories = chooseCategories(allCategories, index.categories, options.categories);
  const codes: Record<string, CategoryCode[]> = {};
  for (const c of categories) codes[c] = parseCategoryCodes(await readText(directory, `c_${c}.csv`), `c_${c}.csv`);
  await checkImagesFolder(directory);
  const meta = brodenMeta(categories, labels, codes);
  const rows = index.rows.filter((r) => rowHasAnyData(r, categories));
  return {
    directory,
    meta,
    rows,
    dropped: index.rows.length - rows.length,
    imagePath: (row) => join(directory, 'images', row.image),
    readLabels: (row) => readRowLabels(directory, row, categories),
  };
}
