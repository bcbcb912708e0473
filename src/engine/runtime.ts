/**
 * The runtime adapter interface: the only contract between Lucerna's core and an inference engine.
 * `lucerna/node` registers onnxruntime-node; a browser build registers onnxruntime-web.
 */
import { LucernaError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

/** A raw engine tensor: any numeric typed array, its dims and ONNX element type name. */
export interface EngineTensor {
  readonly type: string;
  readonly data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Int8Array;
  readonly dims: readonly number[];
}

/**
 * An engine output as a float32 {@link Tensor} (other numeric types are converted); throws a clear
 * error when the session did not return `name`.
 *
 * @example
 * ```ts
 * const logits = outputTensor((await session.run(feeds, ['logits'])).logits, 'logits');
 * ```
 */
export function outputTensor(t: EngineTensor | undefined, name: string): Tensor {
  if (!t) throw new LucernaError('RUNTIME_ERROR', `The session returned no "${name}"`);
  const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number);
  return { data, shape: [...t.dims] };
}

/** Graph optimisation level of a session. */
export type OptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** How sessions are created. */
export interface SessionOptions {
  /** Intra-op threads (default: the engine's choice). */
  readonly threads?: number;
  /** Graph optimisation level (default `all`). Lower it for exact parity tests: fusion can flip a ReLU mask at 0. */
  readonly optimization?: OptimizationLevel;
  /**
   * Keep ONNX Runtime's CPU memory arena (default true). One-off sessions (the shape probe) turn
   * it off so their buffers go back to the system instead of raising the process's peak memory.
   */
  readonly memoryArena?: boolean;
  /**
   * Let idle intra-op threads spin for the next op (default true: lowest latency for one session).
   * Turn it off when a method alternates between sessions (guided Grad-CAM runs two graphs per
   * call): each session has its own thread pool, and spinning pools steal the two cores from each
   * other — measured 50 ms → 26 ms for guided Grad-CAM on MobileNetV2.
   */
  readonly spinning?: boolean;
  /**
   * Let ONNX Runtime plan one memory block per run from the first run's allocations (default
   * false). The plan is a second, fresh block: for a batch of 8 on ResNet-18 (forward+backward)
   * 120 MB more memory and about 0.5 s more CPU on the second run, with no gain on later runs, since
   * the arena already reuses its chunks.
   */
  readonly memoryPattern?: boolean;
  /**
   * Engine-internal (the compile cache): the Node adapter writes the graph as ONNX Runtime
   * optimised it, in ORT format, to this path. Such bytes open later with no optimisation pass
   * and no copy of their weights (see `compile-cache.ts`).
   */
  readonly saveOptimizedTo?: string;
}

/** One loaded ONNX graph in an engine. */
export interface RuntimeSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Output shapes as the engine inferred them when it loaded the graph (a dim it could not fix is
   * a string or -1), when the engine tells; absent otherwise.
   */
  readonly outputShapes?: ReadonlyMap<string, readonly (number | string)[]>;
  /** Runs the graph on float32 feeds and returns the requested outputs (all by default). */
  run(feeds: Readonly<Record<string, { data: Float32Array; shape: readonly number[] }>>, fetches?: readonly string[]): Promise<Record<string, EngineTensor>>;
  /** Releases the native session. Safe to call twice. */
  dispose(): Promise<void>;
}

/** One stored compiled plan: a JSON description and the ONNX bytes to open. */
export interface CompiledEntry {
  readonly meta: string;
  readonly model: Uint8Array;
}

/**
 * Where a runtime keeps compiled plans between processes (the Node adapter's is a folder on disk;
 * a browser has none). See `compile-cache.ts` for what is stored under which key.
 */
export interface CompileStore {
  /** The engine build and settings stored bytes are valid for (folded into every key). */
  readonly tag: string;
  /** A collision-resistant digest of a model's bytes (its identity in keys). */
  digest(bytes: Uint8Array): string;
  /** The entry stored under `key`, or undefined when there is none or it is corrupt (then it is dropped). */
  get(key: string): Promise<CompiledEntry | undefined>;
  /** Stores an entry; concurrent writers of one key are safe. Failures to write are not errors. */
  put(key: string, entry: CompiledEntry): Promise<void>;
  /**
   * A fresh temporary path where the engine may write the optimised graph for `key` (stores that
   * keep files; see {@link SessionOptions.saveOptimizedTo}), or undefined when the store cannot.
   */
  reserve?(key: string): Promise<string | undefined>;
  /**
   * Stores the graph the engine wrote at a reserved `path` under `key` with its meta and removes
   * the path; false when it could not (then the caller stores the plain graph with {@link put}).
   */
  adopt?(key: string, meta: string, path: string): Promise<boolean>;
}

/** An inference engine that can open ONNX graphs. */
export interface Runtime {
  readonly name: string;
  /** The machine's memory in bytes, when the adapter can tell (Node: `os.totalmem()`); sets default memory limits. */
  readonly memoryBytes?: number;
  /** The intra-op threads its sessions use when {@link SessionOptions.threads} is unset, when the adapter can tell. */
  readonly defaultThreads?: number;
  createSession(bytes: Uint8Array, options?: SessionOptions): Promise<RuntimeSession>;
  /** A store for compiled plans; without one every process compiles afresh. */
  readonly compileStore?: CompileStore;
}

let defaultRuntime: Runtime | undefined;

/**
 * Sets the runtime that {@link Model.load} uses when none is passed.
 *
 * @example
 * ```ts
 * import { setDefaultRuntime } from 'lucerna';
 * import { nodeRuntime } from 'lucerna/node';
 * setDefaultRuntime(nodeRuntime);
 * ```
 */
export function setDefaultRuntime(runtime: Runtime): void {
  defaultRuntime = runtime;
}

/** The runtime registered by `lucerna/node` (or by the web entry); throws when none is. */
export function getDefaultRuntime(): Runtime {
  if (!defaultRuntime) {
    throw new LucernaError('RUNTIME_ERROR', 'No ONNX runtime is registered', "Import from 'lucerna/node' in Node, or pass { runtime } to Model.load");
  }
  return defaultRuntime;
}
