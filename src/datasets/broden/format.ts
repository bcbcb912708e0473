/**
 * The Broden concept-data format (Bau et al. 2017, "Network Dissection", http://netdissect.csail.mit.edu/),
 * read the way NetDissect-Lite's `loader/data_loader.py` reads it. Isomorphic: CSV text in, plain
 * objects out; the files themselves are read by `node.ts`.
 *
 * A Broden folder holds:
 * - `index.csv`: `image,split,ih,iw,sh,sw,<category>...`, one row per image. A category cell lists
 *   entries joined by `;`: a PNG path under `images/` (a segmentation plane whose label is
 *   `R + 256·G`) or a label number (an image-level label such as a texture or a scene).
 * - `category.csv`: `name,first,last,count,frequency`.
 * - `label.csv`: `number,name,category,frequency,coverage,syns`, `category` as `color(12);object(3)`.
 * - `c_<category>.csv`: `code,number,name,frequency,coverage`, the dense codes of one category.
 * - `images/`: the images and the segmentation PNGs. Segmentations are `sh × sw`, which may be
 *   smaller than the `ih × iw` images (Broden's are half size).
 */
import { LucernaError } from '../../errors.js';
import { parseCsvRecords } from './csv.js';

/** One entry of a category cell: a segmentation PNG path (under `images/`) or a label number. */
export type BrodenEntry = string | number;

/** One row of `index.csv`. */
export interface BrodenIndexRow {
  /** Image path under `images/`. */
  readonly image: string;
  readonly split: string;
  readonly ih: number;
  readonly iw: number;
  /** Segmentation height and width. */
  readonly sh: number;
  readonly sw: number;
  /** Per category column, its entries (empty when the image has no data in it). */
  readonly cells: Readonly<Record<string, readonly BrodenEntry[]>>;
}

/** One row of `c_<category>.csv`. */
export interface CategoryCode {
  readonly code: number;
  readonly number: number;
  readonly name: string;
  readonly frequency: number;
  readonly coverage: number;
}

/** One row of `label.csv`. */
export interface BrodenLabel {
  readonly number: number;
  readonly name: string;
  /** Category → the number of images of the label in it. */
  readonly categories: Readonly<Record<string, number>>;
  readonly frequency: number;
  readonly coverage: number;
  readonly syns: readonly string[];
}

/** The label vocabulary of a Broden set, restricted to the chosen categories. */
export interface BrodenMeta {
  /** Categories, in `category.csv` order. */
  readonly categories: readonly string[];
  /** Label name by label number (dense, 0 … max number); numbers without a row have the name ''. */
  readonly labelNames: readonly string[];
  /** Per category, the rows of its `c_<category>.csv`. */
  readonly codes: Readonly<Record<string, readonly CategoryCode[]>>;
  /**
   * The primary category (index into `categories`) of each label number: the category whose
   * `c_<category>.csv` lists it with the largest coverage; ties, and labels listed nowhere, go to
   * the later category (NetDissect-Lite's `primary_categories_per_index`).
   */
  readonly primary: Int32Array;
}

/** The columns every `index.csv` has before its category columns. */
export const INDEX_META_COLUMNS = ['image', 'split', 'ih', 'iw', 'sh', 'sw'] as const;

function integer(value: string | undefined, what: string): number {
  const n = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isInteger(n) || n < 0) {
    throw new LucernaError('BAD_FILE', `${what} is "${value ?? ''}", not a whole number ≥ 0`);
  }
  return n;
}

function number(value: string | undefined): number {
  const n = Number(value);
  return value === undefined || value.trim() === '' || !Number.isFinite(n) ? 0 : n;
}

/**
 * Splits one index cell into entries: `;`-separated, empty parts dropped, all-digit parts become
 * label numbers (as `decode_index_dict` does).
 *
 * @example
 * ```ts
 * parseIndexCell('a/1_part_1.png;a/1_part_2.png'); // ['a/1_part_1.png', 'a/1_part_2.png']
 * parseIndexCell('17;4'); // [17, 4]
 * ```
 */
export function parseIndexCell(cell: string): BrodenEntry[] {
  return cell
    .split(';')
    .filter((s) => s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * Parses `index.csv`: the header (which must hold the six meta columns) and its rows.
 *
 * @example
 * ```ts
 * const { categories, rows } = parseIndexCsv(text); // categories: the columns after the meta columns
 * ```
 */
export function parseIndexCsv(text: string, what = 'index.csv'): { categories: string[]; rows: BrodenIndexRow[] } {
  const { header, records } = parseCsvRecords(text, what);
  const missing = INDEX_META_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length)
    throw new LucernaError('BAD_FILE', `${what} has no column ${missing.map((m) => `"${m}"`).join(', ')}`, 'Its header starts image,split,ih,iw,sh,sw');
  const categories = header.filter((h) => !(INDEX_META_COLUMNS as readonly string[]).includes(h));
  const rows = records.map((r, i) => {
    const at = `${what} line ${i + 2}`;
    const cells: Record<string, BrodenEntry[]> = {};
    for (const c of categories) cells[c] = parseIndexCell(r[c] ?? '');
    return {
      image: r.image as string,
      split: r.split as string,
      ih: integer(r.ih, `${at}: ih`),
      iw: integer(r.iw, `${at}: iw`),
      sh: integer(r.sh, `${at}: sh`),
      sw: integer(r.sw, `${at}: sw`),
      cells,
    };
  });
  return { categories, rows };
}

/**
 * Parses `category.csv` into its category names, in file order.
 *
 * @example
 * ```ts
 * parseCategoryCsv('name,first,last,count,frequency\ncolor,1,11,11,100\n'); // ['color']
 * ```
 */
export function parseCategoryCsv(text: string, what = 'category.csv'): string[] {
  const { header, records } = parseCsvRecords(text, what);
  if (!header.includes('name')) throw new LucernaError('BAD_FILE', `${what} has no "name" column`);
  return records.map((r) => r.name as string);
}

function parseLabelCategories(cell: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of cell.split(';').filter((p) => p !== '')) {
    // Anything not written name(count) (such as a '-' placeholder) carries no category.
    const m = /^([^(]*)\(([^)]*)\)$/.exec(part);
    if (m) out[m[1] as string] = number(m[2]);
  }
  return out;
}

/**
 * Parses `label.csv`.
 *
 * @example
 * ```ts
 * parseLabelCsv('number,name,category,frequency,coverage,syns\n1,red,color(3),3,0.5,red\n')[0]?.name; // 'red'
 * ```
 */
export function parseLabelCsv(text: string, what = 'label.csv'): BrodenLabel[] {
  const { header, records } = parseCsvRecords(text, what);
  for (const c of ['number', 'name']) if (!header.includes(c)) throw new LucernaError('BAD_FILE', `${what} has no "${c}" column`);
  return records.map((r, i) => ({
    number: integer(r.number, `${what} line ${i + 2}: number`),
    name: r.name as string,
    categories: parseLabelCategories(r.category ?? ''),
    frequency: number(r.frequency),
    coverage: number(r.coverage),
    syns: (r.syns ?? '').split(';').filter((s) => s !== ''),
  }));
}

/**
 * Parses `c_<category>.csv`.
 *
 * @example
 * ```ts
 * parseCategoryCodes('code,number,name,frequency,coverage\n1,4,red,3,0.5\n')[0]?.number; // 4
 * ```
 */
export function parseCategoryCodes(text: string, what = 'c_<category>.csv'): CategoryCode[] {
  const { header, records } = parseCsvRecords(text, what);
  for (const c of ['code', 'number']) if (!header.includes(c)) throw new LucernaError('BAD_FILE', `${what} has no "${c}" column`);
  return records.map((r, i) => ({
    code: integer(r.code, `${what} line ${i + 2}: code`),
    number: integer(r.number, `${what} line ${i + 2}: number`),
    name: r.name ?? '',
    frequency: number(r.frequency),
    coverage: number(r.coverage),
  }));
}

/**
 * The primary category of every label number 0 … `labelCount − 1` (see {@link BrodenMeta.primary}).
 * A label's candidate in a category is the coverage of its code there (0 when unlisted or when its
 * code is 0); the largest wins, ties to the later category.
 *
 * @example
 * ```ts
 * primaryCategories(['color', 'object'], { color: [...], object: [...] }, 12); // Int32Array of category indices
 * ```
 */
export function primaryCategories(categories: readonly string[], codes: Readonly<Record<string, readonly CategoryCode[]>>, labelCount: number): Int32Array {
  const coverage = categories.map((c) => {
    const byNumber = new Float64Array(labelCount);
    for (const row of codes[c] ?? []) if (row.code !== 0 && row.number < labelCount) byNumber[row.number] = row.coverage;
    return byNumber;
  });
  const primary = new Int32Array(labelCount);
  for (let label = 0; label < labelCount; label++) {
    let best = -1;
    let bestCat = 0;
    coverage.forEach((cov, ci) => {
      const v = cov[label] as number;
      if (v >= best) {
        best = v;
        bestCat = ci;
      }
    });
    primary[label] = bestCat;
  }
  return primary;
}

/**
 * Builds the vocabulary from the parsed files. `labelNames` is dense up to the largest label
 * number in `label.csv`, as NetDissect-Lite's `build_dense_label_array`.
 *
 * @example
 * ```ts
 * const meta = brodenMeta(['color'], parseLabelCsv(labelText), { color: parseCategoryCodes(codeText) });
 * ```
 */
export function brodenMeta(
  categories: readonly string[],
  labels: readonly BrodenLabel[],
  codes: Readonly<Record<string, readonly CategoryCode[]>>,
): BrodenMeta {
  const labelCount = labels.reduce((m, l) => Math.max(m, l.number + 1), 1);
  const labelNames = new Array<string>(labelCount).fill('');
  for (const l of labels) labelNames[l.number] = l.name;
  return { categories: [...categories], labelNames, codes, primary: primaryCategories(categories, codes, labelCount) };
}

/**
 * True when the row has data in at least one of `categories` (NetDissect-Lite's
 * `index_has_any_data`: a non-empty path or a non-zero label number). Rows without any are left out
 * of a dissection.
 *
 * @example
 * ```ts
 * rowHasAnyData(row, ['color', 'object']);
 * ```
 */
export function rowHasAnyData(row: BrodenIndexRow, categories: readonly string[]): boolean {
  return categories.some((c) => (row.cells[c] ?? []).some((e) => e !== 0 && e !== ''));
}
