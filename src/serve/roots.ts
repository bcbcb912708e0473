/**
 * The folders a `lucerna serve` process may read: every model and image path in a request is
 * resolved to its real path (symlinks followed) and must lie under one of them. `..` segments and
 * symlinks that point out are refused with a FORBIDDEN_PATH error (HTTP 403).
 *
 * Node-only (it reads the file system).
 */
import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { LucernaError } from '../errors.js';

/**
 * The real paths of the allowed folders. A folder that does not exist is a FILE_NOT_FOUND error.
 *
 * @example
 * ```ts
 * const roots = resolveRoots(['.', '/data/models']);
 * ```
 */
export function resolveRoots(dirs: readonly string[]): string[] {
  if (dirs.length === 0) throw new LucernaError('BAD_OPTION', 'no --root folder given');
  return dirs.map((dir) => {
    try {
      return realpathSync(resolve(dir));
    } catch {
      throw new LucernaError('FILE_NOT_FOUND', `--root folder "${dir}" does not exist`);
    }
  });
}

/**
 * Whether `path` (a real path) is `root` or lies under it.
 *
 * @example
 * ```ts
 * isUnder('/data', '/data/m.onnx'); // true
 * ```
 */
export function isUnder(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Resolves a path from a request: relative paths are taken from the first root; the real path
 * (symlinks followed) must lie under a root. Errors: FORBIDDEN_PATH (the real path is outside every
 * root; for a missing file, the path as written is), FILE_NOT_FOUND (a missing file under a root).
 *
 * @example
 * ```ts
 * const file = await resolveUnderRoots(roots, 'models/cnn.onnx', 'model');
 * ```
 */
export async function resolveUnderRoots(roots: readonly string[], given: string, what: string): Promise<string> {
  const path = resolve(roots[0] as string, given);
  const forbidden = () =>
    new LucernaError(
      'FORBIDDEN_PATH',
      `the ${what} "${given}" is outside the folders this server may read`,
      'Start lucerna serve with --root <dir> for that folder',
    );
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    // Say nothing about whether a file outside the roots exists.
    if (!roots.some((root) => isUnder(root, path))) throw forbidden();
    throw new LucernaError('FILE_NOT_FOUND', `the ${what} "${given}" does not exist`);
  }
  if (!roots.some((root) => isUnder(root, real))) throw forbidden();
  return real;
}
