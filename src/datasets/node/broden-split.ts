/**
 * The train/validation split of a Broden-format folder with an ImageFolder view (what
 * `lucerna dataset parts` writes: `index.csv` with its `split` column, and `classes/<name>/…`
 * holding the same images by class). Training takes the `train` rows and validates on the `val`
 * rows, as NetDissect's Broden loader splits (https://github.com/CSAILVision/NetDissect-Lite).
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { LucernaError } from '../../errors.js';
import { parseIndexCsv } from '../broden/format.js';

/** A Broden folder's ImageFolder view and the split of each image. */
export interface BrodenClassView {
  /** The Broden root (where `index.csv` is). */
  readonly root: string;
  /** The ImageFolder view to read the classes from (`<root>/classes`). */
  readonly classes: string;
  /** The `split` of each image, by file name. */
  readonly splitOf: ReadonlyMap<string, string>;
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/**
 * Recognises a Broden folder with a class view: `dir` holding `index.csv` and `classes/`, or `dir`
 * being that `classes/` folder itself. Returns `undefined` for a plain ImageFolder.
 *
 * @example
 * ```ts
 * const view = await brodenClassView('data/parts'); // { root: 'data/parts', classes: 'data/parts/classes', splitOf }
 * ```
 */
export async function brodenClassView(dir: string): Promise<BrodenClassView | undefined> {
  let root: string | undefined;
  if ((await isFile(join(dir, 'index.csv'))) && (await isDir(join(dir, 'classes')))) root = dir;
  else if (basename(dir) === 'classes' && (await isFile(join(dirname(dir), 'index.csv')))) root = dirname(dir);
  if (root === undefined) return undefined;
  const index = join(root, 'index.csv');
  const { rows } = parseIndexCsv(await readFile(index, 'utf8'), index);
  const splitOf = new Map<string, string>();
  for (const row of rows) {
    const name = basename(row.image);
    const seen = splitOf.get(name);
    if (seen !== undefined && seen !== row.split) {
      throw new LucernaError(
        'BAD_FILE',
        `${index} lists two images named ${name} in different splits (${seen}, ${row.split})`,
        'Give each image a unique file name',
      );
    }
    splitOf.set(name, row.split);
  }
  return { root, classes: join(root, 'classes'), splitOf };
}

/**
 * Sample indices of the `train` and `val` rows (files in the order of the data set). A file with no
 * row in `index.csv` is an error; rows of any other split (e.g. `test`) are left out and counted.
 *
 * @example
 * ```ts
 * splitIndices(view, ['/d/classes/bird/a.png', '/d/classes/none/b.png']); // { train: [0], val: [1], other: 0 }
 * ```
 */
export function splitIndices(view: BrodenClassView, files: readonly string[]): { train: number[]; val: number[]; other: number } {
  const train: number[] = [];
  const val: number[] = [];
  let other = 0;
  files.forEach((file, i) => {
    const split = view.splitOf.get(basename(file));
    if (split === undefined) {
      throw new LucernaError(
        'BAD_FILE',
        `${relative(view.root, file)} has no row in ${join(view.root, 'index.csv')}, so its split is unknown`,
        'Add its row to index.csv or remove the file',
      );
    }
    if (split === 'train') train.push(i);
    else if (split === 'val') val.push(i);
    else other++;
  });
  return { train, val, other };
}
