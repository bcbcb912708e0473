/**
 * The compile cache, engine side: a compiled gradient plan (the augmented forward+backward graph
 * and the names of its seed inputs, gradient outputs and read outputs) is stored in the runtime's
 * {@link CompileStore} under a key of (model digest, plan, rule set, input shape, optimisation
 * level, compiler opset, engine tag), so a later process opens it without probing shapes,
 * differentiating or encoding protobufs.
 *
 * The graph is stored as compiled, not as ONNX Runtime's optimized-model output: on MobileNetV2
 * (saliency plan, batch 1) the optimised file is twice the size (19 vs 10 MB, fused weights kept
 * beside the originals), and a warm compile from it took 562 ms (163 ms CPU) against 330 ms
 * (82 ms CPU) from the plain graph, while writing it cost a cold compile 0.9 s more.
 *
 * Isomorphic: the disk lives behind the store interface, in the Node adapter (`node-cache.ts`).
 */
import { COMPILER_OPSET } from '../onnx/upgrade.js';
import type { OptimizationLevel, Runtime, RuntimeSession, SessionOptions } from './runtime.js';

/** Bump when the stored format or the meaning of a stored graph changes. */
const ENTRY_VERSION = 1;

/** Names that tie a compiled graph to a plan: what {@link CompiledGradient} needs besides the session. */
export interface CompiledNames {
  readonly seeds: ReadonlyMap<string, string>;
  readonly gradients: ReadonlyMap<string, string>;
  readonly reads: ReadonlyMap<string, string>;
  /** Shapes of the seeded, read and differentiated tensors. */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
}

/** What a cache key is made of. The rule set is named: only built-in rule sets are cached. */
export interface CompileKeyParts {
  readonly modelDigest: string;
  readonly seeds: readonly string[];
  readonly wrt: readonly string[];
  readonly read: readonly string[];
  readonly rules: string;
  readonly seedMode: string;
  readonly inputShape: readonly number[];
  readonly optimization: OptimizationLevel;
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
  return JSON.stringify({ seeds: [...names.seeds], gradients: [...names.gradients], reads: [...names.reads], shapes: [...names.shapes] });
}

const isPairList = (v: unknown): v is [string, string][] =>
  Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string');

const isShapeList = (v: unknown): v is [string, number[]][] =>
  Array.isArray(v) &&
  v.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && Array.isArray(p[1]) && p[1].every((d: unknown) => Number.isSafeInteger(d)));

/**
 * Reads an entry's meta back, or undefined when it is malformed or does not name every seed,
 * gradient and read of the plan (a stale or foreign entry).
 *
 * @example `decodeNames(meta, { seeds: ['logits'], wrt: ['input'], read: [] });`
 */
export function decodeNames(meta: string, plan: { seeds: readonly string[]; wrt: readonly string[]; read: readonly string[] }): CompiledNames | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(meta) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!raw || !isPairList(raw.seeds) || !isPairList(raw.gradients) || !isPairList(raw.reads) || !isShapeList(raw.shapes)) return undefined;
  const names: CompiledNames = { seeds: new Map(raw.seeds), gradients: new Map(raw.gradients), reads: new Map(raw.reads), shapes: new Map(raw.shapes) };
  const complete = plan.seeds.every((s) => names.seeds.has(s)) && plan.wrt.every((w) => names.gradients.has(w)) && plan.read.every((r) => names.reads.has(r));
  return complete ? names : undefined;
}

/**
 * Opens a compiled plan through the runtime's store: on a hit, one session from the stored bytes;
 * on a miss (or without a store or key), `build()` makes the graph, which is opened and stored.
 *
 * @example
 * ```ts
 * const { session, names } = await openCompiled(runtime, key, build, { optimization: 'all' });
 * ```
 */
export async function openCompiled(
  runtime: Runtime,
  key: string | undefined,
  plan: { seeds: readonly string[]; wrt: readonly string[]; read: readonly string[] },
  build: () => Promise<{ bytes: Uint8Array; names: CompiledNames }>,
  options: SessionOptions,
): Promise<{ session: RuntimeSession; names: CompiledNames; cached: boolean }> {
  const store = key === undefined ? undefined : runtime.compileStore;
  if (store && key !== undefined) {
    const entry = await store.get(key);
    const names = entry && decodeNames(entry.meta, plan);
    if (entry && names) {
      const session = await runtime.createSession(entry.model, options).catch(() => undefined);
      if (session) return { session, names, cached: true };
    }
  }
  const built = await build();
  const session = await runtime.createSession(built.bytes, options);
  if (store && key !== undefined) await store.put(key, { meta: encodeNames(built.names), model: built.bytes });
  return { session, names: built.names, cached: false };
}
