/**
 * The on-disk activation cache of a dissection (see `dissection/cache.ts`): one temporary file
 * written batch after batch in pass 1, read back in order in pass 2, deleted on dispose.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActivationCache, CachedBatch } from '../dissection/cache.js';
import { LucernaError } from '../errors.js';

/**
 * A cache file in a fresh temporary folder under `dir` (default the system's temporary folder).
 *
 * @example
 * ```ts
 * await using cache = await fileActivationCache();
 * await dissect(model, data, { layers, cache });
 * ```
 */
export async function fileActivationCache(dir = tmpdir()): Promise<ActivationCache> {
  const folder = await mkdtemp(join(dir, 'lucerna-activations-'));
  const path = join(folder, 'activations.f32');
  const handle = await open(path, 'w+');
  let end = 0;
  let sizes: readonly number[] = [];
  const fail = (e: unknown) =>
    new LucernaError(
      'BAD_FILE',
      `Cannot use the activation cache ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      'Free disk space in the temporary folder',
    );
  return {
    async put(indices, activations, rowSizes) {
      const header = Int32Array.of(indices.length, ...indices);
      const parts = [
        new Uint8Array(header.buffer),
        ...activations.map((a, l) => new Uint8Array(a.buffer, a.byteOffset, indices.length * (rowSizes[l] as number) * 4)),
      ];
      try {
        for (const p of parts) {
          await handle.write(p, 0, p.length, end);
          end += p.length;
        }
      } catch (e) {
        throw fail(e);
      }
      sizes = rowSizes.slice();
    },
    async *batches(): AsyncGenerator<CachedBatch> {
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
      await handle.close().catch(() => undefined);
      await rm(folder, { recursive: true, force: true });
    },
  };
}
