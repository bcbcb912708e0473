/**
 * The one validator of a failed read: a missing file or folder is `FILE_NOT_FOUND`, anything else
 * `BAD_FILE`, in one line that names what could not be read and why (the errno code).
 */
import { LucernaError } from '../errors.js';

/**
 * The one-line error for `what` (a phrase that ends with the path) that could not be read.
 *
 * @see https://arxiv.org/abs/1802.00614 (the survey's methods read models, images and results from files)
 * @example
 * ```ts
 * const text = await readFile(path, 'utf8').catch((e) => Promise.reject(readError(e, `the tree file ${path}`)));
 * ```
 */
export function readError(e: unknown, what: string, hint?: string): LucernaError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const reason = code ?? (e instanceof Error ? e.message : String(e));
  return new LucernaError(code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'BAD_FILE', `Cannot read ${what} (${reason})`, hint);
}
