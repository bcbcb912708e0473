/**
 * The warm models of `lucerna serve`: a small LRU of loaded models keyed by real path and
 * modification time (a rewritten file is loaded afresh). A model keeps its compiled gradient and
 * forward sessions, so a second request with the same model, method and input shape creates no
 * session. Evicted models are disposed once no request uses them; `dispose()` releases them all.
 *
 * Node-only.
 */
import { stat } from 'node:fs/promises';
import type { Model } from '../engine/model.js';
import type { Runtime } from '../engine/runtime.js';
import type { Preprocessing } from '../io/preprocess.js';

/** One loaded model with what its sidecar says. */
export interface WarmModel {
  readonly model: Model;
  readonly preprocessing: Preprocessing;
  readonly labels?: readonly string[];
}

interface Entry {
  readonly key: string;
  readonly loading: Promise<WarmModel>;
  /** Requests using it now. */
  users: number;
  evicted: boolean;
}

/** Counts of what the cache did (tests assert on these, never on time). */
export interface CacheStats {
  /** ORT sessions created (forward or compiled gradient) by every model this cache loaded. */
  sessionsCreated: number;
  modelsLoaded: number;
  modelsDisposed: number;
}

/**
 * An LRU of loaded models with a session-creation counter.
 *
 * @example
 * ```ts
 * const cache = new ModelCache(nodeRuntime, 4);
 * const result = await cache.use('/data/cnn.onnx', ({ model }) => model.run(x));
 * ```
 */
export class ModelCache {
  private readonly entries = new Map<string, Entry>();
  readonly stats: CacheStats = { sessionsCreated: 0, modelsLoaded: 0, modelsDisposed: 0 };
  private readonly runtime: Runtime;

  constructor(
    inner: Runtime,
    /** How many models stay loaded. */
    readonly capacity = 4,
  ) {
    this.runtime = {
      name: inner.name,
      createSession: (bytes, options) => {
        this.stats.sessionsCreated++;
        return inner.createSession(bytes, options);
      },
    };
  }

  /** Runs `work` with the model at `file` (a real path), loading it when it is not warm. */
  async use<T>(file: string, work: (warm: WarmModel) => Promise<T>): Promise<T> {
    const { mtimeMs, size } = await stat(file);
    const key = `${file}\0${mtimeMs}\0${size}`;
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
    } else {
      entry = { key, loading: this.load(file), users: 0, evicted: false };
      entry.loading.catch(() => this.entries.delete(key));
    }
    this.entries.set(key, entry);
    entry.users++;
    await this.evict();
    try {
      return await work(await entry.loading);
    } finally {
      entry.users--;
      if (entry.evicted && entry.users === 0) await this.release(entry);
    }
  }

  private async load(file: string): Promise<WarmModel> {
    const [{ loadModelFile }, { readSidecar }] = await Promise.all([import('../io/files.js'), import('../io/sidecar.js')]);
    const sidecar = await readSidecar(file);
    const model = await loadModelFile(file, { runtime: this.runtime });
    this.stats.modelsLoaded++;
    return { model, preprocessing: sidecar?.preprocessing ?? {}, labels: sidecar?.labels };
  }

  /** Drops the least recently used models beyond the capacity; unused ones are disposed now. */
  private async evict(): Promise<void> {
    const released: Promise<void>[] = [];
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.values().next().value as Entry;
      this.entries.delete(oldest.key);
      oldest.evicted = true;
      if (oldest.users === 0) released.push(this.release(oldest));
    }
    await Promise.all(released);
  }

  private async release(entry: Entry): Promise<void> {
    const warm = await entry.loading.catch(() => undefined);
    if (!warm) return;
    await warm.model.dispose();
    this.stats.modelsDisposed++;
  }

  /** Disposes every loaded model (call after the server stopped taking requests). */
  async dispose(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => this.release(e)));
  }
}
