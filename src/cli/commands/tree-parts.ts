/**
 * `--parts <tally.csv>` of `tree build` and `tree explain`: names each filter by its part, from a
 * Network Dissection of the tree's layer (`lucerna dissect <model> --layer <layer> --categories
 * part [--where object=<class>]`, Bau et al. 2017, https://arxiv.org/abs/1704.05796), so the
 * report's bars read as part contributions (Zhang et al., CVPR 2019) instead of filter numbers.
 */
import { readFile } from 'node:fs/promises';
import { parseCsv } from '../../datasets/broden/csv.js';
import { LucernaError } from '../../errors.js';
import { readError } from '../../io/read-error.js';

/** Longest part name drawn in a node box; the tables show the whole name. */
const SHORT = 9;

/**
 * Filter names `f<c> <part>` from a dissection's tally.csv (its `part-label` column, or `label`
 * without one); filters the tally does not list keep `filter <c>`.
 *
 * @example
 * ```ts
 * const name = await filterPartNames('dissect/Relu_33/tally.csv', 64);
 * name(26); // 'f26 head'
 * ```
 */
export async function filterPartNames(path: string, filters: number): Promise<(filter: number) => string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw readError(e, `the --parts file ${path}`);
  }
  const rows = parseCsv(text, ['unit', 'label'], path);
  const names = new Map<number, string>();
  for (const r of rows) {
    const unit = Number(r.unit);
    if (!Number.isInteger(unit) || unit < 0 || unit >= filters)
      throw new LucernaError(
        'BAD_FILE',
        `${path} lists unit ${r.unit}, but the tree's layer has ${filters} filters`,
        'Dissect the layer the tree was built at',
      );
    const part = r['part-label'] || r.label || '';
    if (part) names.set(unit, part.length > SHORT ? `${part.slice(0, SHORT - 1)}…` : part);
  }
  return (f) => {
    const part = names.get(f);
    return part ? `f${f} ${part}` : `filter ${f}`;
  };
}
