/**
 * The compile cache, engine side: a compiled gradient plan (the augmented forward+backward graph
 * and the names of its seed inputs, gradient outputs and read outputs) is stored in the runtime's
 * {@link CompileStore} under a key of (model digest, plan, rule set, input shape, optimisation
 * level, compiler opset, engine tag), so a later process opens it without probing shapes,
 * differentiating or encoding protobufs.
 *
 * Where the store takes files (the Node disk store), what is stored is the graph as ONNX Runtime
 * optimised it, in ORT format, written by the miss's own session: a hit then opens it with no
 * optimisation pass and reads its weights in place (`session.use_ort_model_bytes_directly`), where
 * the plain ONNX graph would be parsed, optimised and its weights copied several times. On
 * ResNet-18 (saliency, batch 8) the ORT file is 2.5× the ONNX graph (117 vs 47 MB: the weights
 * are also kept transposed for the backward convolutions and in the CPU's blocked layout), yet
 * opening it costs 0.8 s of CPU against 1.6 s (reading included). An earlier try that stored the
 * optimised graph as ONNX was slower than the plain graph: it was parsed and copied like any ONNX
 * file. A store without files (or a graph ORT cannot save) keeps the plain graph.
 *
 * Isomorphic: the disk lives behind the store interface, in the Node adapter (`node-cache.ts`).
 */
import { COMPILER_OPSET } from '../onnx/upgrade.js';
import type { CompileStore, OptimizationLevel, Runtime, RuntimeSession, SessionOptions } from './runtime.js';

/** Bump when the stored format or the meaning of a stored graph changes. */
const ENTRY_VERSION = 1;

/** Names that tie a compiled graph to a plan: what {@link CompiledGradient} needs besides the session. */
export interface CompiledNames {
  readonly seeds: ReadonlyMap<string, string>;
  readonly gradients: ReadonlyMap<string, string>;
  readonly reads: ReadonlyMap<string, string>;
  /** Shapes of the seeded, read and differentiated tensors. */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  /** The gradient outputs of each further backward pass (a plan's `also`), in order. */
  readonly branches?: readonly ReadonlyMap<string, string>[];
}

/** What a cache key is made of. The rule set is named: only built-in rule sets are cached. */
export interface CompileKeyParts {
  readonly modelDigest: string;
  readonly seeds: readonly string[];
  readonly wrt: readonly string[];
  readonly read: readonly string[];
  readonly rules: string;
  readonly seedMode: string;
  /** `first-half` plans only (absent for the default, so older keys are unchanged). */
  readonly rows?: string;
  readonly inputShape: readonly number[];
  readonly optimization: OptimizationLevel;
  /** Further backward passes (rule set name and `wrt`), when the plan has any. */
  readonly also?: readonly { readonly rules: string; readonly wrt: readonly string[] }[];
}

/**
 * The cache key of one compiled plan (a JSON string; stores hash it for a file name).
 *
 * @example
 * ```ts
 * compileKey('onnxruntime-node@1.30.0', { modelDigest, seeds: ['logits'], wrt: ['input'], read: [], rules: 'standard', seedMode: 'input', inputShape: [1, 3, 32, 32], optimization: 'all' });
 * ```
 */
export function compileKey(tag: string, parts: CompileKeyParts): string {
  return JSON.stringify({ v: ENTRY_VERSION, opset: COMPILER_OPSET, tag, ...parts });
}

/**
 * The JSON meta of an entry.
 *
 * @example `encodeNames(names); // '{"seeds":[["logits","lucerna/seed/logits"]],…}'`
 */
export function encodeNames(names: CompiledNames): string {
  const branches = names.branches && names.branches.length > 0 ? { branches: names.branches.map((m) => [...m]) } : {};
  return JSON.stringify({ seeds: [...names.seeds], gradients: [...names.gradients], reads: [...names.reads], shapes: [...names.shapes], ...branches });
}

const isPairList = (v: unknown): v is [string, string][] =>
  Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string');

const isShapeList = (v: unknown): v is [string, number[]][] =>
  Array.isArray(v) &&
  v.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && Array.isArray(p[1]) && p[1].every((d: unknown) => Number.isSafeInteger(d)));

/** What {@link decodeNames} checks an entry against. */
export interface PlanNames {
  readonly seeds: readonly string[];
  readonly wrt: readonly string[];
  readonly read: readonly string[];
  /** `argmax` plans seed inside the graph and have no seed inputs (default `input`). */
  readonly seedMode?: string;
  /** The `wrt` tensors of each further backward pass. */
  readonly also?: readonly (readonly string[])[];
}

/**
 * Reads an entry's meta back, or undefined when it is malformed or does not name every seed input
 * (`input` plans only), gradient and read of the plan (a stale or foreign entry).
 *
 * @example `decodeNames(meta, { seeds: ['logits'], wrt: ['input'], read: [] });`
 */
export function decodeNames(meta: string, plan: PlanNames): CompiledNames | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(meta) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!raw || !isPairList(raw.seeds) || !isPairList(raw.gradients) || !isPairList(raw.reads) || !isShapeList(raw.shapes)) return undefined;
  const rawBranches = raw.branches ?? [];
  if (!Array.isArray(rawBranches) || !rawBranches.every(isPairList)) return undefined;
  const branches = rawBranches.map((b) => new Map(b));
  const names: CompiledNames = {
    seeds: new Map(raw.seeds),
    gradients: new Map(raw.gradients),
    reads: new Map(raw.reads),
    shapes: new Map(raw.shapes),
    branches,
  };
  const seeded = plan.seedMode === 'argmax' || plan.seeds.every((s) => names.seeds.has(s));
  const also = plan.also ?? [];
  const branched = branches.length === also.length && also.every((wrt, i) => wrt.every((w) => branches[i]?.has(w)));
  const complete = seeded && branched && plan.wrt.every((w) => names.gradients.has(w)) && plan.read.every((r) => names.reads.has(r));
  return complete ? names : undefined;
}

/**
 * Opens a compiled plan through the runtime's store: on a hit, one session from the stored bytes;
 * on a miss (or without a store or key), `build()` makes the graph, which is opened and stored.
 * When the store can take a file, the session writes the graph as ONNX Runtime optimised it (ORT
 * format) and that is stored, so a hit skips the optimisation pass and the weight copies too.
 *
 * @example
 * ```ts
 * const { session, names } = await openCompiled(runtime, key, plan, build, { optimization: 'all' });
 * ```
 */
export async function openCompiled(
  runtime: Runtime,
  key: string | undefined,
  plan: PlanNames,
  build: () => Promise<{ bytes: Uint8Array; names: CompiledNames }>,
  options: SessionOptions,
): Promise<{ session: RuntimeSession; names: CompiledNames; cached: boolean }> {
  const store = key === undefined ? undefined : runtime.compileStore;
  if (!store || key === undefined) {
    const built = await build();
    return { session: await runtime.createSession(built.bytes, options), names: built.names, cached: false };
  }
  const entry = await store.get(key);
  const names = entry && decodeNames(entry.meta, plan);
  if (entry && names) {
    const session = await runtime.createSession(entry.model, options).catch(() => undefined);
    if (session) return { session, names, cached: true };
  }
  const built = await build();
  const meta = encodeNames(built.names);
  const session = await openAndStore(runtime, store, key, meta, built.bytes, options);
  return { session, names: built.names, cached: false };
}

/** Opens a built graph and stores it: ORT's optimised graph when the store takes files, else the graph as built. */
async function openAndStore(
  runtime: Runtime,
  store: CompileStore,
  key: string,
  meta: string,
  bytes: Uint8Array,
  options: SessionOptions,
): Promise<RuntimeSession> {
  const path = store.reserve && store.adopt ? await store.reserve(key) : undefined;
  if (path !== undefined && store.adopt) {
    const session = await runtime.createSession(bytes, { ...options, saveOptimizedTo: path }).catch(() => undefined);
    if (session) {
      if (!(await store.adopt(key, meta, path))) await store.put(key, { meta, model: bytes });
      return session;
    }
  }
  const session = await runtime.createSession(bytes, options);
  await store.put(key, { meta, model: bytes });
  return session;
}
