/**
 * The activation cache of a dissection (see `dissection/cache.ts`): batches kept in memory, as the
 * engine returned them (no copy), up to a byte budget, and past it one temporary file written
 * batch after batch in pass 1; pass 2 reads them back in order; the file is deleted on dispose.
 * A small set (120 images of ResNet-18's layer3 + layer4: 144 MB) then costs no file writes, no
 * reads and no second allocation of every activation.
 */
import type { FileHandle } from 'node:fs/promises';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActivationCache, CachedBatch } from '../dissection/cache.js';
import { LucernaError } from '../errors.js';

/** Options of {@link fileActivationCache}. */
export interface ActivationCacheOptions {
  /** Bytes of activations kept in memory before the rest goes to the file (default 0: all to the file). */
  readonly memoryBytes?: number;
}

/** The file part: a temporary folder and file, created at the first batch that goes there. */
function spillFile(dir: string) {
  let opened: Promise<{ folder: string; path: string; handle: FileHandle }> | undefined;
  const get = () => {
    opened ??= (async () => {
      const folder = await mkdtemp(join(dir, 'lucerna-activations-'));
      const path = join(folder, 'activations.f32');
      return { folder, path, handle: await open(path, 'w+') };
    })();
    return opened;
  };
  return { get, opened: () => opened };
}

/**
 * An activation cache that keeps up to `options.memoryBytes` in memory and writes the rest to a
 * file in a fresh temporary folder under `dir` (default the system's temporary folder).
 *
 * @example
 * ```ts
 * await using cache = await fileActivationCache(undefined, { memoryBytes: 256 * 2 ** 20 });
 * await dissect(model, data, { layers, cache });
 * ```
 */
export async function fileActivationCache(dir = tmpdir(), options: ActivationCacheOptions = {}): Promise<ActivationCache> {
  const budget = options.memoryBytes ?? 0;
  const memory: CachedBatch[] = [];
  let held = 0;
  const file = spillFile(dir);
  let end = 0;
  let sizes: readonly number[] = [];
  const fail = (e: unknown, path = dir) =>
    new LucernaError(
      'BAD_FILE',
      `Cannot use the activation cache ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      'Free disk space in the temporary folder',
    );
  return {
    async put(indices, activations, rowSizes) {
      sizes = rowSizes.slice();
      const views = activations.map((a, l) => a.subarray(0, indices.length * (rowSizes[l] as number)));
      const bytes = views.reduce((sum, v) => sum + v.byteLength, 0);
      // Batches stay in order: once one went to the file, all later ones do.
      if (!file.opened() && held + bytes <= budget) {
        held += bytes;
        memory.push({ indices: [...indices], activations: views });
        return;
      }
      const f = await file.get().catch((e) => Promise.reject(fail(e)));
      const header = Int32Array.of(indices.length, ...indices);
      const parts = [new Uint8Array(header.buffer), ...views.map((v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength))];
      try {
        for (const p of parts) {
          await f.handle.write(p, 0, p.length, end);
          end += p.length;
        }
      } catch (e) {
        throw fail(e, f.path);
      }
    },
    async *batches(): AsyncGenerator<CachedBatch> {
      yield* memory;
      const opened = file.opened();
      if (!opened) return;
      const { handle } = await opened;
      let at = 0;
      while (at < end) {
        const count = new Int32Array(1);
        await handle.read(new Uint8Array(count.buffer), 0, 4, at);
        const n = count[0] as number;
        const indices = new Int32Array(n);
        await handle.read(new Uint8Array(indices.buffer), 0, 4 * n, at + 4);
        at += 4 * (n + 1);
        const activations: Float32Array[] = [];
        for (const size of sizes) {
          const a = new Float32Array(n * size);
          await handle.read(new Uint8Array(a.buffer), 0, a.byteLength, at);
          at += a.byteLength;
          activations.push(a);
        }
        yield { indices: [...indices], activations };
      }
    },
    async [Symbol.asyncDispose]() {
      memory.length = 0;
      const opened = await file.opened()?.catch(() => undefined);
      if (!opened) return;
      await opened.handle.close().catch(() => undefined);
      await rm(opened.folder, { recursive: true, force: true });
    },
  };
}
