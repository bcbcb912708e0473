/**
 * The Broden encoding (Bau et al. 2017, "Network Dissection", https://arxiv.org/abs/1704.05796;
 * the layout NetDissect-Lite's `loader/data_loader.py` reads), kept in one small pure module so it
 * can be swapped for the shared Broden writer:
 * - `index.csv`: `image,split,ih,iw,sh,sw,<category>…`; a category cell lists `;`-separated
 *   segmentation PNGs (relative to `images/`), empty when the image has no label of it.
 * - segmentation PNG: the label number of each pixel is R + 256·G (B = 0); 0 is unlabelled.
 * - `label.csv`: `number,name,category,frequency,coverage,syns`, numbers from 1; `category` reads
 *   `object(3)`, the category and the label's frequency in it.
 * - `category.csv`: `name,first,last,count,frequency`.
 * - `c_<category>.csv`: `code,number,name,frequency,coverage`, the dense codes (from 1) of one
 *   category.
 * frequency = images where the label appears; coverage = the sum over images of the fraction of
 * pixels it covers (in whole images).
 */

/** One Broden label: global number, name and category. */
export interface BrodenLabel {
  readonly number: number;
  readonly name: string;
  readonly category: string;
}

/**
 * Encodes a plane of label numbers as RGB bytes (R = n mod 256, G = ⌊n / 256⌋, B = 0).
 *
 * @example
 * ```ts
 * encodeLabelPlane([0, 300]); // Uint8Array [0, 0, 0, 44, 1, 0]
 * ```
 */
export function encodeLabelPlane(labels: ArrayLike<number>): Uint8Array {
  const rgb = new Uint8Array(labels.length * 3);
  for (let i = 0; i < labels.length; i++) {
    const n = labels[i] as number;
    rgb[i * 3] = n % 256;
    rgb[i * 3 + 1] = Math.floor(n / 256);
  }
  return rgb;
}

/**
 * Decodes RGB bytes of a segmentation PNG into label numbers (R + 256·G).
 *
 * @example
 * ```ts
 * decodeLabelPlane(new Uint8Array([44, 1, 0]), 3); // Int32Array [300]
 * ```
 */
export function decodeLabelPlane(data: ArrayLike<number>, channels = 3): Int32Array {
  const n = Math.floor(data.length / channels);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = (data[i * channels] as number) + 256 * (data[i * channels + 1] as number);
  return out;
}

/**
 * Quotes a CSV field when it needs it (RFC 4180).
 *
 * @example
 * ```ts
 * csvField('a,b'); // '"a,b"'
 * ```
 */
export function csvField(value: string | number): string {
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Per-label frequency and coverage, tallied image by image, and the CSV files made from them.
 *
 * @example
 * ```ts
 * const tally = new LabelTally([{ number: 1, name: 'bird', category: 'object' }]);
 * tally.add('object', plane);
 * tally.labelCsv(); // 'number,name,category,frequency,coverage,syns\n1,bird,object(1),1,…'
 * ```
 */
export class LabelTally {
  private readonly frequency = new Map<number, number>();
  private readonly coverage = new Map<number, number>();
  private readonly categoryImages = new Map<string, number>();

  constructor(readonly labels: readonly BrodenLabel[]) {}

  /**
   * Adds one image's plane of a category.
   *
   * @example
   * ```ts
   * tally.add('object', objectPlane);
   * ```
   */
  add(category: string, plane: ArrayLike<number>): void {
    const counts = new Map<number, number>();
    for (let i = 0; i < plane.length; i++) {
      const n = plane[i] as number;
      if (n) counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    if (counts.size) this.categoryImages.set(category, (this.categoryImages.get(category) ?? 0) + 1);
    for (const [n, c] of counts) {
      this.frequency.set(n, (this.frequency.get(n) ?? 0) + 1);
      this.coverage.set(n, (this.coverage.get(n) ?? 0) + c / plane.length);
    }
  }

  private row(l: BrodenLabel): [number, number] {
    return [this.frequency.get(l.number) ?? 0, Math.round((this.coverage.get(l.number) ?? 0) * 1e6) / 1e6];
  }

  /** `label.csv`. */
  labelCsv(): string {
    const rows = this.labels.map((l) => {
      const [f, c] = this.row(l);
      return [l.number, csvField(l.name), `${l.category}(${f})`, f, c, csvField(l.name)].join(',');
    });
    return ['number,name,category,frequency,coverage,syns', ...rows, ''].join('\n');
  }

  /** `category.csv`, categories in the given order. */
  categoryCsv(categories: readonly string[]): string {
    const rows = categories.map((cat) => {
      const numbers = this.labels.filter((l) => l.category === cat).map((l) => l.number);
      return [cat, Math.min(...numbers), Math.max(...numbers), numbers.length, this.categoryImages.get(cat) ?? 0].join(',');
    });
    return ['name,first,last,count,frequency', ...rows, ''].join('\n');
  }

  /** `c_<category>.csv`. */
  codeCsv(category: string): string {
    const rows = this.labels
      .filter((l) => l.category === category)
      .map((l, i) => {
        const [f, c] = this.row(l);
        return [i + 1, l.number, csvField(l.name), f, c].join(',');
      });
    return ['code,number,name,frequency,coverage', ...rows, ''].join('\n');
  }
}

/**
 * One `index.csv` row. `planes` maps each category column to its segmentation file (or nothing).
 *
 * @example
 * ```ts
 * indexRow({ image: 'a.png', split: 'train', ih: 64, iw: 64, sh: 64, sw: 64 }, ['object', 'part'], { object: 'a_object.png' });
 * // 'a.png,train,64,64,64,64,a_object.png,'
 * ```
 */
export function indexRow(
  meta: { image: string; split: string; ih: number; iw: number; sh: number; sw: number },
  categories: readonly string[],
  planes: Readonly<Record<string, string | undefined>>,
): string {
  return [csvField(meta.image), meta.split, meta.ih, meta.iw, meta.sh, meta.sw, ...categories.map((c) => csvField(planes[c] ?? ''))].join(',');
}

/**
 * The `index.csv` header for the given categories.
 *
 * @example
 * ```ts
 * indexHeader(['object', 'part']); // 'image,split,ih,iw,sh,sw,object,part'
 * ```
 */
export function indexHeader(categories: readonly string[]): string {
  return ['image', 'split', 'ih', 'iw', 'sh', 'sw', ...categories].join(',');
}
