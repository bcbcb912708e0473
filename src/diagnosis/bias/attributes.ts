/**
 * The image-level attributes of `attributes.csv` (written by `lucerna dataset parts`) as binary
 * indicators for bias discovery (Zhang et al., AAAI 2018, https://arxiv.org/abs/1710.10577):
 * every categorical column (`background`, `<part>_present`, `<part>_colour`, `<part>_colour2`,
 * `<part>_texture`) becomes one indicator per value seen, named `column=value`. The pose columns
 * are continuous and are left out; an empty field (a part the class does not have) sets no
 * indicator. Pure and isomorphic.
 */

import { parseCsv } from '../../datasets/broden/csv.js';
import { LucernaError } from '../../errors.js';

/** Attribute indicators aligned to a list of images. */
export interface AttributeTable {
  /** Indicator names, `column=value`, sorted. */
  readonly names: string[];
  /** `indicators[n][j]` for image n of the requested list. */
  readonly indicators: number[][];
}

const CATEGORICAL = /^(background|.+_present|.+_colour2?|.+_texture)$/;

/**
 * Reads `attributes.csv` text and aligns it to `images` (paths as written in its `image` column).
 * Images without a row are a `BAD_FILE` error that lists them (the first 5, then a count); a file
 * with no attribute column at all (another CSV of the data set) is a `BAD_FILE` error too.
 *
 * @example
 * ```ts
 * const t = attributeTable('image,background\na.png,stripes\n', ['a.png']);
 * // t.names = ['background=stripes'], t.indicators = [[1]]
 * ```
 */
export function attributeTable(text: string, images: readonly string[]): AttributeTable {
  const records = parseCsv(text, ['image'], 'attributes.csv');
  const byImage = new Map(records.map((r) => [r.image as string, r]));
  const missing = images.filter((i) => !byImage.has(i));
  if (missing.length) {
    const shown = missing.slice(0, 5).join(', ');
    const more = missing.length > 5 ? ` and ${missing.length - 5} more` : '';
    throw new LucernaError(
      'BAD_FILE',
      `attributes.csv does not match the images: no row for ${shown}${more}`,
      'Pass the attributes.csv written with this data set (its image column holds the paths inside the data set)',
    );
  }
  const columns = Object.keys(records[0] ?? {}).filter((c) => CATEGORICAL.test(c));
  if (columns.length === 0)
    throw new LucernaError(
      'BAD_FILE',
      'attributes.csv has no attribute columns (background, <part>_present, <part>_colour, <part>_colour2, <part>_texture)',
      'Pass the attributes.csv that lucerna dataset parts writes, not its index.csv',
    );
  const names = new Set<string>();
  for (const r of records) for (const c of columns) if (r[c]) names.add(`${c}=${r[c]}`);
  const sorted = [...names].sort();
  const indicators = images.map((image) => {
    const r = byImage.get(image) as Record<string, string>;
    return sorted.map((name) => {
      const eq = name.indexOf('=');
      return r[name.slice(0, eq)] === name.slice(eq + 1) ? 1 : 0;
    });
  });
  return { names: sorted, indicators };
}
