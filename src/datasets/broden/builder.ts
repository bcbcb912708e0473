/**
 * The format side of writing a Broden set (see `format.ts`): label numbering, the index lines, the
 * per-label statistics (frequency = images, coverage = image fractions summed) and the text of
 * `label.csv`, `category.csv` and `c_<category>.csv`. Isomorphic; `node.ts` encodes the PNGs and
 * writes the files.
 */
import { LucernaError } from '../../errors.js';
import { csvLine } from './csv.js';
import { INDEX_META_COLUMNS } from './format.js';

/** A label to declare: its name and its category (or categories). Numbers are given 1, 2, … in order. */
export interface LabelSpec {
  readonly name: string;
  readonly category: string | readonly string[];
}

/** The vocabulary of a set to write. */
export interface BrodenSpec {
  /** Categories, in the order of `category.csv` and of the index columns. */
  readonly categories: readonly string[];
  /** Every label; label numbers are assigned 1, 2, … in this order. */
  readonly labels: readonly LabelSpec[];
  /**
   * The file (under `images/`) of plane `k` (0-based) of `count` planes of a category of image
   * `name`; default `<name>_<category>_<k + 1>.png`.
   */
  readonly planeName?: (name: string, category: string, k: number, count: number) => string;
}

/** One plane of labels of a category, `sh·sw` label numbers row by row (0 = none). */
export type LabelPlane = Int32Array | Uint16Array | Uint8Array;

/** One image's record: what {@link BrodenBuilder.add} takes. */
export interface BrodenRecord {
  /** File stem, unique in the set; the image becomes `images/<name>.png`. */
  readonly name: string;
  readonly split?: string;
  /** Image size. */
  readonly ih: number;
  readonly iw: number;
  /** Segmentation size. */
  readonly sh: number;
  readonly sw: number;
  /** Per category: pixel planes (label numbers) or image-level label numbers (or names). */
  readonly labels: Readonly<Record<string, readonly LabelPlane[] | readonly (number | string)[]>>;
}

/** A segmentation plane to encode as PNG at `path` (under `images/`). */
export interface PlaneFile {
  readonly path: string;
  readonly labels: LabelPlane;
  readonly width: number;
  readonly height: number;
}

interface LabelStats {
  frequency: number;
  coverage: number;
}

function isPlaneList(v: readonly unknown[]): v is readonly LabelPlane[] {
  return v.length > 0 && ArrayBuffer.isView(v[0]);
}

/**
 * Numbers labels, turns records into index lines and keeps the statistics for the CSV files.
 *
 * @example
 * ```ts
 * const b = new BrodenBuilder({ categories: ['color', 'texture'], labels: [{ name: 'red', category: 'color' }, { name: 'dots', category: 'texture' }] });
 * const { indexLine, planes } = b.add({ name: 'img1', ih: 8, iw: 8, sh: 8, sw: 8, labels: { color: [plane], texture: ['dots'] } });
 * const files = b.finish(); // { 'label.csv': …, 'category.csv': …, 'c_color.csv': …, 'c_texture.csv': … }
 * ```
 */
export class BrodenBuilder {
  private readonly numbers = new Map<string, number>();
  private readonly labelCats: string[][] = [[]];
  /** [category][label number] → stats. */
  private readonly stats: Map<number, LabelStats>[];
  private readonly catImages: number[];
  private readonly names = new Set<string>();
  images = 0;

  constructor(readonly spec: BrodenSpec) {
    if (spec.categories.length === 0) throw new LucernaError('BAD_OPTION', 'A Broden set needs at least one category');
    for (const c of spec.categories)
      if (!/^[A-Za-z0-9_-]+$/.test(c) || (INDEX_META_COLUMNS as readonly string[]).includes(c))
        throw new LucernaError('BAD_OPTION', `"${c}" cannot be a category name`, 'Use letters, digits, _ or -, and none of image,split,ih,iw,sh,sw');
    spec.labels.forEach((l, i) => {
      if (this.numbers.has(l.name)) throw new LucernaError('BAD_OPTION', `Label "${l.name}" is declared twice`);
      const cats = typeof l.category === 'string' ? [l.category] : [...l.category];
      for (const c of cats) if (!spec.categories.includes(c)) throw new LucernaError('BAD_OPTION', `Label "${l.name}" has unknown category "${c}"`);
      this.numbers.set(l.name, i + 1);
      this.labelCats.push(cats);
    });
    this.stats = spec.categories.map(() => new Map());
    this.catImages = spec.categories.map(() => 0);
  }

  /** The number of a declared label (1-based). */
  number(name: string): number {
    const n = this.numbers.get(name);
    if (n === undefined) throw new LucernaError('BAD_OPTION', `Label "${name}" is not declared`);
    return n;
  }

  /** The header line of `index.csv`. */
  indexHeader(): string {
    return csvLine([...INDEX_META_COLUMNS, ...this.spec.categories]);
  }

  private checkLabel(n: number, category: string): void {
    if (!Number.isInteger(n) || n < 1 || n >= this.labelCats.length)
      throw new LucernaError('BAD_OPTION', `Label number ${n} is not declared`, `Labels are 1 … ${this.labelCats.length - 1}`);
    if (!this.labelCats[n]?.includes(category))
      throw new LucernaError('BAD_OPTION', `Label "${this.spec.labels[n - 1]?.name}" is not in category "${category}"`);
  }

  private count(ci: number, label: number, coverage: number): void {
    const m = this.stats[ci] as Map<number, LabelStats>;
    const s = m.get(label) ?? { frequency: 0, coverage: 0 };
    s.frequency += 1;
    s.coverage += coverage;
    m.set(label, s);
  }

  /**
   * Adds one image: checks its labels, updates the statistics and returns its `index.csv` line, the
   * image path and the segmentation planes to encode. Planes are named
   * `<name>_<category>_<k>.png` unless the spec names them.
   */
  add(record: BrodenRecord): { indexLine: string; imagePath: string; planes: PlaneFile[] } {
    const { name, sh, sw } = record;
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new LucernaError('BAD_OPTION', `Image name "${name}" must be letters, digits, _ . or -`);
    if (this.names.has(name)) throw new LucernaError('BAD_OPTION', `Image name "${name}" is used twice`);
    for (const d of [record.ih, record.iw, sh, sw])
      if (!Number.isInteger(d) || d < 1) throw new LucernaError('BAD_OPTION', `Image ${name}: sizes must be positive integers`);
    this.names.add(name);
    const imagePath = `${name}.png`;
    const planes: PlaneFile[] = [];
    const cells = this.spec.categories.map((cat, ci) => {
      const given = record.labels[cat] ?? [];
      if (given.length === 0) return '';
      if (isPlaneList(given)) return this.addPlanes(name, cat, ci, given, sh, sw, planes);
      const numbers = (given as readonly (number | string)[]).map((v) => (typeof v === 'string' ? this.number(v) : v));
      for (const n of new Set(numbers)) {
        this.checkLabel(n, cat);
        this.count(ci, n, 1);
      }
      this.catImages[ci] = (this.catImages[ci] as number) + 1;
      return numbers.join(';');
    });
    for (const cat of Object.keys(record.labels))
      if (!this.spec.categories.includes(cat)) throw new LucernaError('BAD_OPTION', `Image ${name}: unknown category "${cat}"`);
    this.images++;
    return { indexLine: csvLine([imagePath, record.split ?? 'train', record.ih, record.iw, sh, sw, ...cells]), imagePath, planes };
  }

  private addPlanes(name: string, cat: string, ci: number, given: readonly LabelPlane[], sh: number, sw: number, out: PlaneFile[]): string {
    const pixels = new Map<number, number>();
    const paths = given.map((plane, k) => {
      if (plane.length !== sh * sw) throw new LucernaError('BAD_OPTION', `Image ${name}: a ${cat} plane has ${plane.length} labels, sh×sw is ${sh}×${sw}`);
      for (let i = 0; i < plane.length; i++) {
        const v = plane[i] as number;
        if (v !== 0) pixels.set(v, (pixels.get(v) ?? 0) + 1);
      }
      const path = this.spec.planeName?.(name, cat, k, given.length) ?? `${name}_${cat}_${k + 1}.png`;
      out.push({ path, labels: plane, width: sw, height: sh });
      return path;
    });
    for (const [label, count] of pixels) {
      this.checkLabel(label, cat);
      this.count(ci, label, count / (sh * sw));
    }
    if (pixels.size > 0) this.catImages[ci] = (this.catImages[ci] as number) + 1;
    return paths.join(';');
  }

  /** Per category, label number → images and coverage so far. */
  statistics(category: string): ReadonlyMap<number, Readonly<LabelStats>> {
    const ci = this.spec.categories.indexOf(category);
    return this.stats[ci] ?? new Map();
  }

  /** The text of `label.csv`, `category.csv` and every `c_<category>.csv`. */
  finish(): Record<string, string> {
    const files: Record<string, string> = {};
    const cats = this.spec.categories;
    let labelCsv = csvLine(['number', 'name', 'category', 'frequency', 'coverage', 'syns']);
    this.spec.labels.forEach((l, i) => {
      const n = i + 1;
      const per = cats.map((c, ci) => ({ c, s: this.stats[ci]?.get(n) })).filter((x) => this.labelCats[n]?.includes(x.c));
      const frequency = per.reduce((a, x) => a + (x.s?.frequency ?? 0), 0);
      const coverage = per.reduce((a, x) => a + (x.s?.coverage ?? 0), 0);
      const category = per.map((x) => `${x.c}(${x.s?.frequency ?? 0})`).join(';');
      labelCsv += csvLine([n, l.name, category, frequency, round(coverage), l.name]);
    });
    files['label.csv'] = labelCsv;
    let categoryCsv = csvLine(['name', 'first', 'last', 'count', 'frequency']);
    cats.forEach((c, ci) => {
      const members = this.spec.labels.map((_, i) => i + 1).filter((n) => this.labelCats[n]?.includes(c));
      let codes = csvLine(['code', 'number', 'name', 'frequency', 'coverage']);
      members.forEach((n, k) => {
        const s = this.stats[ci]?.get(n);
        codes += csvLine([k + 1, n, this.spec.labels[n - 1]?.name ?? '', s?.frequency ?? 0, round(s?.coverage ?? 0)]);
      });
      files[`c_${c}.csv`] = codes;
      categoryCsv += csvLine([c, members[0] ?? 0, members.at(-1) ?? 0, members.length, this.catImages[ci] as number]);
    });
    files['category.csv'] = categoryCsv;
    return files;
  }
}

/** Fixed-point text, so NetDissect-Lite's reader sees a float (it does not parse exponents). */
function round(v: number): string {
  return v.toFixed(6);
}
