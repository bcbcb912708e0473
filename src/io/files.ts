/**
 * Node-only file helpers: read a model or data file with clear errors.
 */
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { Model, type ModelOptions } from '../engine/model.js';
import { LucernaError } from '../errors.js';

/**
 * Reads a whole file; a missing or unreadable file is a one-line {@link LucernaError}.
 *
 * @example
 * ```ts
 * const bytes = await readBytes('input.npy', 'the input');
 * ```
 */
export async function readBytes(path: string, what = 'the file'): Promise<Uint8Array> {
  try {
    const buf = await readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LucernaError('FILE_NOT_FOUND', `Cannot find ${what}: ${path}`, 'Check the path');
    if (code === 'EISDIR') throw new LucernaError('BAD_FILE', `${what} is a directory, not a file: ${path}`);
    throw new LucernaError('BAD_FILE', `Cannot read ${what} ${path} (${code ?? (e as Error).message})`);
  }
}

/**
 * A cheap identity of a file's bytes for the compile cache: device, inode, size, modification and
 * change times (nanoseconds), and a hash of 64 blocks of 4 KiB spread over the bytes. Hashing a
 * whole 45 MB model costs more CPU than reading it (every page is touched a second time); this
 * touches 64 pages. Undefined when the file changed while it was read.
 *
 * @example `const id = fileIdentity(statBefore, statAfter, bytes);`
 */
export function fileIdentity(
  before: { dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint },
  after: { dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint },
  bytes: Uint8Array,
): string | undefined {
  const stamp = (s: typeof before) => `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  if (stamp(before) !== stamp(after) || BigInt(bytes.length) !== after.size) return undefined;
  const h = createHash('sha256').update(stamp(after));
  const block = 4096;
  const blocks = 64;
  for (let i = 0; i < blocks; i++) {
    const at = Math.floor(((bytes.length - block) * i) / (blocks - 1));
    h.update(bytes.subarray(Math.max(0, at), Math.max(0, at) + block));
  }
  return `file:${h.digest('hex')}`;
}

/** Reads a model file and its {@link fileIdentity} (undefined when the file changed meanwhile). */
async function readModelFile(path: string): Promise<{ bytes: Uint8Array; identity?: string }> {
  const file = await open(path, 'r').catch(() => undefined);
  if (!file) return { bytes: await readBytes(path, 'the model') };
  try {
    const before = await file.stat({ bigint: true });
    if (!before.isFile()) return { bytes: await readBytes(path, 'the model') };
    const buf = await file.readFile();
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    return { bytes, identity: fileIdentity(before, await file.stat({ bigint: true }), bytes) };
  } finally {
    await file.close();
  }
}

/**
 * Loads an ONNX model from a file path. The file's {@link fileIdentity} names it in compile cache
 * keys, so a warm run does not hash the whole model.
 *
 * @example
 * ```ts
 * await using model = await loadModelFile('resnet18.onnx', { threads: 2 });
 * ```
 */
export async function loadModelFile(path: string, options: ModelOptions = {}): Promise<Model> {
  const { bytes, identity } = await readModelFile(path);
  return Model.load(bytes, { name: options.name ?? path, identity, ...options });
}
