/**
 * Reference filters for the location instability of the RESULTS.md interpretable-CNN section
 * (Zhang, Wu & Zhu 2018, https://arxiv.org/abs/1710.00935, §4): what the metric gives, on the same
 * images, for made-up filters whose peak is known — so a net's value can be read against the
 * range the data allow at the layer's resolution. Computed from a parts data set's `landmarks.csv`
 * and `attributes.csv` alone (no net):
 * - a **fixed** filter peaks at the same cell on every image of the class (each of the n² cells;
 *   the best cell and the mean over cells);
 * - a **part tracker** peaks at the cell holding one landmark (a perfect detector of that part at
 *   the map's resolution, the peak placed at the cell's centre as for a real filter); images
 *   without the landmark do not count. Reported: the lowest and highest over the landmarks.
 *
 * Run alone: `node --import tsx scripts/results/icnn-references.ts <parts dir> <input size> <map side n>`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type InstabilityImage, locationInstability } from '../../src/metrics/location-instability.js';

/** The references of one class (default protocol of `lucerna stability`). */
export interface InstabilityReferences {
  /** The best fixed cell's instability, and the mean over the n² cells. */
  readonly fixedBest: number;
  readonly fixedMean: number;
  /** Part trackers: the lowest and highest instability over the landmarks, and the landmark of each. */
  readonly trackerLow: number;
  readonly trackerHigh: number;
  readonly trackerLowName: string;
  readonly trackerHighName: string;
}

/**
 * The references for class `cls` of a parts data set (the CSV texts), its images scaled from
 * `dataSize` to the model's `size` pixels, on n×n maps.
 *
 * @example
 * ```ts
 * const r = instabilityReferences(landmarksCsv, attributesCsv, 'bird', 224, 128, 8);
 * r.fixedBest > r.trackerLow; // true on parts figures
 * ```
 */
export function instabilityReferences(landmarks: string, attributes: string, cls: string, dataSize: number, size: number, n: number): InstabilityReferences {
  const classOf = new Map(
    attributes
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',') as [string, string]),
  );
  const scale = size / dataSize;
  const byImage = new Map<string, Map<string, readonly [number, number]>>();
  for (const line of landmarks.trim().split('\n').slice(1)) {
    const [image = '', name = '', x, y] = line.split(',');
    if (classOf.get(image) !== cls) continue;
    let m = byImage.get(image);
    if (!m) byImage.set(image, (m = new Map()));
    m.set(name, [Number(x) * scale, Number(y) * scale]);
  }
  const names = [...new Set([...byImage.values()].flatMap((m) => [...m.keys()]))].sort();
  const cell = size / n;
  const centre = (v: number) => (Math.min(n - 1, Math.max(0, Math.floor(v / cell))) + 0.5) * cell;
  const images: InstabilityImage[] = [...byImage.values()].map((m) => {
    const x: number[] = [];
    const y: number[] = [];
    const value: number[] = [];
    for (let c = 0; c < n * n; c++) {
      x.push(((c % n) + 0.5) * cell);
      y.push((Math.floor(c / n) + 0.5) * cell);
      value.push(1);
    }
    for (const name of names) {
      const p = m.get(name);
      x.push(p ? centre(p[0]) : 0);
      y.push(p ? centre(p[1]) : 0);
      value.push(p ? 1 : 0);
    }
    return { x, y, value, landmarks: m };
  });
  const values = locationInstability(images, { width: size, height: size }).filters.map((f) => f.instability ?? Number.NaN);
  const fixed = values.slice(0, n * n);
  const trackers = values.slice(n * n);
  const low = trackers.indexOf(Math.min(...trackers));
  const high = trackers.indexOf(Math.max(...trackers));
  return {
    fixedBest: Math.min(...fixed),
    fixedMean: fixed.reduce((a, v) => a + v, 0) / fixed.length,
    trackerLow: trackers[low] as number,
    trackerHigh: trackers[high] as number,
    trackerLowName: names[low] as string,
    trackerHighName: names[high] as string,
  };
}

/**
 * {@link instabilityReferences} of a parts data set folder (its README gives no size, so the
 * images' own size is read from `index.csv`'s first row).
 *
 * @example
 * ```ts
 * const bird = folderReferences('/tmp/parts', 'bird', 128, 8);
 * ```
 */
export function folderReferences(dir: string, cls: string, size: number, n: number): InstabilityReferences {
  const [, first = ''] = readFileSync(join(dir, 'index.csv'), 'utf8').split('\n');
  const dataSize = Number(first.split(',')[2]);
  return instabilityReferences(readFileSync(join(dir, 'landmarks.csv'), 'utf8'), readFileSync(join(dir, 'attributes.csv'), 'utf8'), cls, dataSize, size, n);
}

/**
 * How far the landmarks move between images: the mean over the landmark names of the standard
 * deviation of their x and of their y (pixels), from a parts data set's `landmarks.csv`.
 *
 * @example
 * ```ts
 * landmarkSpread('image,landmark,x,y\na.png,head,10,20\nb.png,head,14,20\n'); // (2 + 0) / 2 = 1
 * ```
 */
export function landmarkSpread(csv: string): number {
  const byName = new Map<string, [number[], number[]]>();
  for (const line of csv.trim().split('\n').slice(1)) {
    const [, name = '', x, y] = line.split(',');
    let xy = byName.get(name);
    if (!xy) byName.set(name, (xy = [[], []]));
    xy[0].push(Number(x));
    xy[1].push(Number(y));
  }
  const std = (v: number[]) => {
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return Math.sqrt(v.reduce((a, b) => a + (b - m) * (b - m), 0) / v.length);
  };
  const spreads = [...byName.values()].map(([x, y]) => (std(x) + std(y)) / 2);
  return spreads.reduce((a, b) => a + b, 0) / spreads.length;
}

if (process.argv[1]?.endsWith('icnn-references.ts')) {
  const [dir = '', size = '', n = ''] = process.argv.slice(2);
  for (const cls of ['bird', 'fish']) console.log(cls, JSON.stringify(folderReferences(dir, cls, Number(size), Number(n))));
}
