/**
 * The dissection trunk's ONNX Runtime session kept in the runtime's compile store (the same store
 * as compiled gradients, `engine/compile-cache.ts`), so a later dissection of the same layers of
 * the same model at the same batch shape opens ONNX Runtime's already optimised graph in place
 * (ORT format) and reads the layer shapes from the entry, with no optimisation pass. On ResNet-18
 * (layer3 + layer4, batch 8) building the session costs about 1.0 s of CPU (writing the optimised
 * graph a few tenths more); a hit costs reading the 45 MB entry, and opening it about 0.01 s.
 */
import { compileKey, decodeNames, encodeNames } from '../engine/compile-cache.js';
import type { Model } from '../engine/model.js';
import type { RuntimeSession, SessionOptions } from '../engine/runtime.js';

/**
 * Names the trunk graph (one Identity per dissected layer) in keys. The store's tag fingerprints
 * the code that builds it (`visualization/program.ts`'s `trunkGraph`, the engine and ONNX layers),
 * so an edit there misses the store without a hand-kept version.
 */
const TRUNK_PLAN = 'dissection-trunk/1';

/** An open trunk session, its layer shapes `[N, C, h, w]`, and whether it came from the store. */
export interface TrunkSession {
  readonly session: RuntimeSession;
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  readonly cached: boolean;
  /** Resolves once the entry of a new session is stored (at once on a hit or without a store). */
  readonly stored: Promise<void>;
}

/**
 * The compile store key of the trunk of `layers` at input `dims`, or undefined when the model's
 * runtime has no compile store.
 *
 * @example `trunkCacheKey(model, ['/layer4/Relu_output_0'], [8, 3, 224, 224], {});`
 */
export function trunkCacheKey(model: Model, layers: readonly string[], dims: readonly number[], options: SessionOptions): string | undefined {
  const store = model.runtime.compileStore;
  const id = store ? model.cacheIdentity : undefined;
  if (!store || id === undefined) return undefined;
  return compileKey(store.tag, {
    modelDigest: id,
    seeds: [],
    wrt: [],
    read: [...layers],
    rules: 'none',
    seedMode: TRUNK_PLAN,
    inputShape: [...dims],
    optimization: options.optimization ?? 'all',
  });
}

/**
 * Opens the trunk session: from the compile store when it holds this trunk, else from `build()`'s
 * ONNX bytes, asked for the layer shapes by `probe` (which throws when the graph cannot run at
 * this batch), and then stored as ONNX Runtime optimised it. A store failure is never an error.
 *
 * @example
 * ```ts
 * const { session, shapes } = await openTrunkSession(model, layers, dims, options, () => bytes, probe);
 * ```
 */
export async function openTrunkSession(
  model: Model,
  layers: readonly string[],
  dims: readonly number[],
  options: SessionOptions,
  build: () => Uint8Array,
  probe: (session: RuntimeSession) => Promise<ReadonlyMap<string, readonly number[]>>,
): Promise<TrunkSession> {
  const runtime = model.runtime;
  const store = runtime.compileStore;
  const key = trunkCacheKey(model, layers, dims, options);
  if (store && key !== undefined) {
    const entry = await store.get(key).catch(() => undefined);
    const names = entry && decodeNames(entry.meta, { seeds: [], wrt: [], read: layers });
    const complete = names && layers.every((l) => names.shapes.get(l)?.[0] === dims[0]);
    if (entry && names && complete) {
      const session = await runtime.createSession(entry.model, options).catch(() => undefined);
      if (session) return { session, shapes: names.shapes, cached: true, stored: Promise.resolve() };
    }
  }
  const bytes = build();
  // The optimised graph goes to a reserved file while the session is built; a graph that fails the
  // probe leaves it there, and the store sweeps such leftovers.
  const path = store && key !== undefined && store.reserve && store.adopt ? await store.reserve(key).catch(() => undefined) : undefined;
  let session = path === undefined ? undefined : await runtime.createSession(bytes, { ...options, saveOptimizedTo: path }).catch(() => undefined);
  const saved = session !== undefined;
  session ??= await runtime.createSession(bytes, options);
  let shapes: ReadonlyMap<string, readonly number[]>;
  try {
    shapes = await probe(session);
  } catch (e) {
    await session.dispose();
    throw e;
  }
  if (!store || key === undefined) return { session, shapes, cached: false, stored: Promise.resolve() };
  const meta = encodeNames({ seeds: new Map(), gradients: new Map(), reads: new Map(layers.map((l) => [l, l])), shapes });
  const stored = (async () => {
    const adopted = saved && path !== undefined && store.adopt ? await store.adopt(key, meta, path) : false;
    if (!adopted) await store.put(key, { meta, model: bytes });
  })().catch(() => undefined);
  return { session, shapes, cached: false, stored };
}
