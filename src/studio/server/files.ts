/**
 * Confined file access for the studio server: a request names a root (by id) and a path under it;
 * the path is checked segment by segment (no `..`, no `.`, no empty or hidden segment, no encoded
 * `/` or `\`, no NUL) and then its real path (symlinks followed) must lie under the root's real
 * path ({@link isUnder} from `serve/roots.ts`, the same check `lucerna serve` uses).
 *
 * Node-only (it reads the file system).
 */
import { realpath, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { LucernaError } from '../../errors.js';
import { isUnder } from '../../serve/roots.js';

/** The folders one studio process may read, by id (`app`, `model`, `dataset`, `folder-1`, …). */
export type Roots = ReadonlyMap<string, string>;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
};

/**
 * The Content-Type of a file name (`application/octet-stream` when unknown, e.g. `.onnx`, `.npy`).
 *
 * @example
 * ```ts
 * contentType('ort-wasm-simd.wasm'); // 'application/wasm'
 * ```
 */
export function contentType(name: string): string {
  return CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

const forbidden = (given: string) =>
  new LucernaError(
    'FORBIDDEN_PATH',
    `"${given}" is outside the folders this studio may read`,
    'Name the folder on the command line (--dataset, --open-folder)',
  );

/**
 * Splits the raw (still percent-encoded) path of a request under a root into decoded segments,
 * refusing anything that could climb out or reach a hidden file: FORBIDDEN_PATH.
 *
 * @example
 * ```ts
 * pathSegments('images/a%20b.png'); // ['images', 'a b.png']
 * pathSegments('%2e%2e/etc/passwd'); // throws FORBIDDEN_PATH
 * ```
 */
export function pathSegments(raw: string): string[] {
  if (raw === '') return [];
  return raw.split('/').map((encoded) => {
    let segment: string;
    try {
      segment = decodeURIComponent(encoded);
    } catch {
      throw forbidden(raw);
    }
    if (segment === '' || segment.startsWith('.') || /[/\\\0]/.test(segment)) throw forbidden(raw);
    return segment;
  });
}

/** A file or folder found under a root. */
export interface Found {
  /** The real path. */
  readonly path: string;
  readonly isDirectory: boolean;
  readonly size: number;
}

/**
 * Resolves `raw` (the encoded path after the root id) under the root `id`: FORBIDDEN_PATH for an
 * unknown root or a path that leaves it (`..`, a symlink out), FILE_NOT_FOUND when missing.
 *
 * @example
 * ```ts
 * const found = await resolveInRoot(roots, 'dataset', 'images/parts_0001.png');
 * ```
 */
export async function resolveInRoot(roots: Roots, id: string, raw: string): Promise<Found> {
  const root = roots.get(id);
  if (root === undefined) throw new LucernaError('FILE_NOT_FOUND', `no folder "${id}" is served`);
  const segments = pathSegments(raw);
  const path = join(root, ...segments);
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new LucernaError('FILE_NOT_FOUND', `"${segments.join('/')}" does not exist`);
  }
  if (!isUnder(root, real)) throw forbidden(segments.join('/'));
  const info = await stat(real);
  return { path: real, isDirectory: info.isDirectory(), size: info.size };
}
