/**
 * Writing output files safely: into a temporary file beside the target, then renamed, so a failed
 * run never leaves a half-written file and never clobbers a good one.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LucernaError } from '../errors.js';

/**
 * Writes bytes atomically. An unwritable directory is a one-line error.
 *
 * @example
 * ```ts
 * await writeFileAtomic('out/attr.npy', serializeNpy(attribution));
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code;
    throw new LucernaError('BAD_FILE', `Cannot write ${path} (${code ?? (e as Error).message})`, 'Choose a directory you can write to');
  }
}
