/**
 * Node-only file helpers: read a model or data file with clear errors.
 */
import { readFile } from 'node:fs/promises';
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
 * Loads an ONNX model from a file path.
 *
 * @example
 * ```ts
 * await using model = await loadModelFile('resnet18.onnx', { threads: 2 });
 * ```
 */
export async function loadModelFile(path: string, options: ModelOptions = {}): Promise<Model> {
  const bytes = await readBytes(path, 'the model');
  return Model.load(bytes, { name: options.name ?? path, ...options });
}
