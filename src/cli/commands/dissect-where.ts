/**
 * `lucerna dissect --where <category>=<label>`: dissect only the images of one object class, with
 * pixel labels kept only on that object (see `datasets/broden/where.ts`), as part dissection in the
 * interpretable-CNN paper (Zhang et al. 2018, https://arxiv.org/abs/1710.00935).
 */
import type { BrodenIndexRow } from '../../datasets/broden/format.js';
import type { ImageLabels } from '../../datasets/broden/labels.js';
import { type BrodenDataset, openBroden } from '../../datasets/broden/node.js';
import { maskLabels, objectMask, parseWhere, type WhereClause } from '../../datasets/broden/where.js';
import { LucernaError } from '../../errors.js';

/** The restricted set: its rows and their masked labels. */
export interface WhereRows {
  readonly clause: WhereClause;
  readonly rows: readonly BrodenIndexRow[];
  /** Rows of the set left out because they do not contain the object. */
  readonly excluded: number;
  /** A kept row's labels in the dissected categories, cleared off the object. */
  labels(row: BrodenIndexRow): Promise<ImageLabels>;
}

/**
 * Opens the `--where` category of `directory`, keeps the rows of `set` that contain the label, and
 * masks their labels to its pixels.
 *
 * @example
 * ```ts
 * const where = await whereRows('data/parts', set, 'object=bird');
 * for (const row of where.rows) await where.labels(row);
 * ```
 */
export async function whereRows(directory: string, set: BrodenDataset, text: string, signal?: AbortSignal): Promise<WhereRows> {
  const category = text.split('=')[0]?.trim() ?? '';
  if (!text.includes('=') || category === '')
    throw new LucernaError('BAD_OPTION', `--where must be <category>=<label>, got "${text}"`, 'E.g. --where object=bird');
  const by = await openBroden(directory, { categories: [category] });
  const clause = parseWhere(text, by.meta.labelNames);
  const rowOf = new Map(by.rows.map((r) => [r.image, r]));
  const maskOf = async (row: BrodenIndexRow): Promise<Uint8Array | undefined> => {
    const own = rowOf.get(row.image);
    return own ? objectMask(await by.readLabels(own), clause.number) : undefined;
  };
  const rows: BrodenIndexRow[] = [];
  for (const row of set.rows) {
    if (signal?.aborted) throw new LucernaError('ABORTED', 'Cancelled; nothing was written');
    if (await maskOf(row)) rows.push(row);
  }
  if (rows.length === 0) {
    throw new LucernaError('BAD_OPTION', `--where ${text}: no image of the data set contains "${clause.label}" in ${clause.category}`, 'Check the label name');
  }
  return {
    clause,
    rows,
    excluded: set.rows.length - rows.length,
    labels: async (row) => {
      const [labels, mask] = await Promise.all([set.readLabels(row), maskOf(row)]);
      return maskLabels(labels, mask as Uint8Array);
    },
  };
}
