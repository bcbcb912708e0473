/**
 * Reads a part-annotated data set in the Broden layout with `landmarks.csv` (Node only), as
 * location instability needs it: every image with its size, the object labels found in its object
 * plane, and its landmarks. Segmentation planes are decoded one at a time; only the label names
 * are kept.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { LucernaError } from '../../errors.js';
import { parseCsv } from '../broden/csv.js';
import { labelsFromRgb } from '../broden/labels.js';

/** One image of the set. */
export interface LandmarkImage {
  /** The `image` cell of `index.csv` (relative to `images/`). */
  readonly image: string;
  /** The image file. */
  readonly path: string;
  /** Image size (`iw`, `ih`). */
  readonly width: number;
  readonly height: number;
  /** Names of the object labels present in the object plane. */
  readonly objects: ReadonlySet<string>;
  /** Landmarks in image pixels. */
  readonly landmarks: ReadonlyMap<string, readonly [number, number]>;
}

async function readText(path: string, what: string, hint: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LucernaError('FILE_NOT_FOUND', `The data set has no ${what} (${path})`, hint);
    throw new LucernaError('BAD_FILE', `Cannot read ${path} (${code ?? (e as Error).message})`);
  }
}

async function planeLabels(path: string): Promise<Set<number>> {
  try {
    const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
    return new Set(labelsFromRgb(data, info.channels));
  } catch (e) {
    const reason = String((e as Error).message ?? e).split('\n')[0];
    throw new LucernaError('BAD_FILE', `Cannot read the segmentation ${path} (${reason})`);
  }
}

function number(text: string | undefined, what: string): number {
  const v = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(v)) throw new LucernaError('BAD_FILE', `${what} is not a number ("${text ?? ''}")`);
  return v;
}

function readLandmarks(text: string, sizes: ReadonlyMap<string, readonly [number, number]>): Map<string, Map<string, [number, number]>> {
  const rows = parseCsv(text, ['image', 'landmark', 'x', 'y'], 'landmarks.csv');
  const out = new Map<string, Map<string, [number, number]>>();
  rows.forEach((r, i) => {
    const line = `landmarks.csv line ${i + 2}`;
    const size = sizes.get(r.image as string);
    if (!size) throw new LucernaError('BAD_FILE', `${line} names image "${r.image}", which is not in index.csv`);
    const x = number(r.x, `${line}: x`);
    const y = number(r.y, `${line}: y`);
    if (x < 0 || y < 0 || x > size[0] || y > size[1])
      throw new LucernaError('BAD_FILE', `${line}: landmark "${r.landmark}" of ${r.image} at (${x}, ${y}) lies outside the ${size[0]}×${size[1]} image`);
    let map = out.get(r.image as string);
    if (!map) out.set(r.image as string, (map = new Map()));
    map.set(r.landmark as string, [x, y]);
  });
  return out;
}

/**
 * Reads `index.csv`, `label.csv`, `landmarks.csv` and the object planes of the set in `dir`.
 * Errors: no `index.csv` or `landmarks.csv`, a landmark outside its image or of an unknown image,
 * unreadable planes.
 *
 * @example
 * ```ts
 * const images = await readLandmarkSet('data/parts');
 * images.filter((i) => i.objects.has('bird')).length;
 * ```
 */
export async function readLandmarkSet(dir: string): Promise<LandmarkImage[]> {
  const index = parseCsv(
    await readText(join(dir, 'index.csv'), 'index.csv', 'Point --dataset at a Broden-format folder (lucerna dataset parts writes one)'),
    ['image', 'ih', 'iw'],
    'index.csv',
  );
  const landmarksText = await readText(join(dir, 'landmarks.csv'), 'landmarks.csv', 'Location instability needs landmarks.csv with columns image,landmark,x,y');
  const labelRows = parseCsv(await readText(join(dir, 'label.csv'), 'label.csv', 'The Broden layout needs label.csv'), ['number', 'name'], 'label.csv');
  const names = new Map(labelRows.map((r) => [number(r.number, `label.csv: number`), r.name as string]));
  const sizes = new Map(
    index.map((r): [string, [number, number]] => [
      r.image as string,
      [number(r.iw, `index.csv: iw of ${r.image}`), number(r.ih, `index.csv: ih of ${r.image}`)],
    ]),
  );
  const landmarks = readLandmarks(landmarksText, sizes);
  const images: LandmarkImage[] = [];
  for (const r of index) {
    const objects = new Set<string>();
    for (const plane of (r.object ?? '').split(';').filter((p) => p !== '')) {
      if (/^\d+$/.test(plane)) {
        const name = names.get(Number(plane));
        if (name && Number(plane) > 0) objects.add(name);
        continue;
      }
      for (const n of await planeLabels(join(dir, 'images', plane))) if (n > 0) objects.add(names.get(n) ?? String(n));
    }
    const [width, height] = sizes.get(r.image as string) as [number, number];
    images.push({
      image: r.image as string,
      path: join(dir, 'images', r.image as string),
      width,
      height,
      objects,
      landmarks: landmarks.get(r.image as string) ?? new Map(),
    });
  }
  return images;
}
