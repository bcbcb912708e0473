/**
 * The JSON listing of a dataset folder for the studio page: its images (from Broden's `index.csv`
 * when present, else the image files in the folder and its `images/`), the class of each image
 * (`attributes.csv` of `lucerna dataset parts`), and the landmarks of `landmarks.csv`, so the page
 * can show images, pick part names and run a simulated user.
 *
 * Node-only (it reads the folder); the shaping ({@link shapeDataset}) is pure.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCsv } from '../../datasets/broden/csv.js';
import { LucernaError } from '../../errors.js';

/** One image of a listed dataset. */
export interface DatasetImage {
  /** The path under the dataset folder, e.g. `images/parts_0001.png`. */
  readonly path: string;
  /** The URL the page fetches it from. */
  readonly url: string;
  readonly split?: string;
  readonly className?: string;
}

/** One landmark (a part's point, in pixels of its image). */
export interface DatasetLandmark {
  /** The image's path under the dataset folder (as in {@link DatasetImage.path}). */
  readonly image: string;
  readonly part: string;
  readonly x: number;
  readonly y: number;
}

/** What `GET /api/dataset/:id` answers. */
export interface DatasetListing {
  readonly id: string;
  readonly images: readonly DatasetImage[];
  readonly landmarks: readonly DatasetLandmark[];
  /** The distinct landmark names, sorted. */
  readonly parts: readonly string[];
  /** Whether the image list was cut at {@link MAX_LISTED_IMAGES}. */
  readonly truncated: boolean;
}

/** The most images one listing returns. */
export const MAX_LISTED_IMAGES = 5000;

const IMAGE_FILE = /\.(png|jpe?g|webp)$/i;
/** Broden's label planes (`…_object.png`, `…_part.png`) are not images to show. */
const LABEL_PLANE = /_(object|part|color|material|scene|texture)\.png$/i;

/** The text of the files a listing reads (undefined when absent). */
export interface DatasetTexts {
  readonly index?: string;
  readonly landmarks?: string;
  readonly attributes?: string;
  /** Image files found when there is no `index.csv`, as paths under the folder. */
  readonly files?: readonly string[];
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/**
 * Shapes a dataset folder's files into a {@link DatasetListing}. Bad numbers in `landmarks.csv`
 * are a BAD_FILE error naming the line.
 *
 * @example
 * ```ts
 * shapeDataset('dataset', { index: 'image,split\na.png,train\n', landmarks: 'image,landmark,x,y\na.png,head,3,4\n' });
 * ```
 */
export function shapeDataset(id: string, texts: DatasetTexts): DatasetListing {
  const classes = new Map<string, string>();
  if (texts.attributes) {
    for (const row of parseCsv(texts.attributes, ['image', 'class'], 'attributes.csv')) classes.set(row.image as string, row.class as string);
  }
  let images: DatasetImage[];
  if (texts.index !== undefined) {
    images = parseCsv(texts.index, ['image'], 'index.csv').map((row) => {
      const name = row.image as string;
      const path = `images/${name}`;
      return {
        path,
        url: `/files/${id}/${encodePath(path)}`,
        ...(row.split ? { split: row.split } : {}),
        ...(classes.has(name) ? { className: classes.get(name) } : {}),
      };
    });
  } else {
    images = (texts.files ?? [])
      .filter((f) => IMAGE_FILE.test(f) && !LABEL_PLANE.test(f))
      .sort()
      .map((path) => ({ path, url: `/files/${id}/${encodePath(path)}` }));
  }
  const prefix = texts.index !== undefined ? 'images/' : '';
  const landmarks: DatasetLandmark[] = texts.landmarks
    ? parseCsv(texts.landmarks, ['image', 'landmark', 'x', 'y'], 'landmarks.csv').map((row, i) => {
        const x = Number(row.x);
        const y = Number(row.y);
        if (row.x === '' || row.y === '' || !Number.isFinite(x) || !Number.isFinite(y))
          throw new LucernaError('BAD_FILE', `landmarks.csv line ${i + 2}: x and y must be numbers, got "${row.x}", "${row.y}"`);
        return { image: `${prefix}${row.image}`, part: row.landmark as string, x, y };
      })
    : [];
  const parts = [...new Set(landmarks.map((l) => l.part))].sort();
  const truncated = images.length > MAX_LISTED_IMAGES;
  return { id, images: truncated ? images.slice(0, MAX_LISTED_IMAGES) : images, landmarks, parts, truncated };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LucernaError('BAD_FILE', `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

async function imageFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const sub of ['', 'images']) {
    const entries = await readdir(join(dir, sub), { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isFile() && !e.name.startsWith('.')) found.push(sub ? `${sub}/${e.name}` : e.name);
  }
  return found;
}

/**
 * Lists the dataset folder `dir` (a real path, already confined) served as root `id`.
 *
 * @example
 * ```ts
 * const listing = await readDatasetListing('/data/parts', 'dataset');
 * ```
 */
export async function readDatasetListing(dir: string, id: string): Promise<DatasetListing> {
  const index = await readOptional(join(dir, 'index.csv'));
  return shapeDataset(id, {
    index,
    landmarks: await readOptional(join(dir, 'landmarks.csv')),
    attributes: await readOptional(join(dir, 'attributes.csv')),
    files: index === undefined ? await imageFiles(dir) : undefined,
  });
}
