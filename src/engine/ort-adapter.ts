/**
 * Adapts an onnxruntime module (node or web; both share onnxruntime-common's API) to {@link Runtime}.
 */
import { LucernaError } from '../errors.js';
import type { EngineTensor, Runtime, RuntimeSession, SessionOptions } from './runtime.js';

/** The parts of the onnxruntime API that Lucerna uses. */
export interface OrtModule {
  InferenceSession: {
    create(bytes: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession>;
  };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
}

interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly outputMetadata?: readonly { readonly name: string; readonly isTensor: boolean; readonly shape?: readonly (number | string)[] }[];
  run(
    feeds: Record<string, unknown>,
    fetches?: readonly string[],
  ): Promise<Record<string, { type: string; data: unknown; dims: readonly number[]; dispose?: () => void }>>;
  release(): Promise<void>;
}

/**
 * Whether `bytes` are an ORT-format model (a FlatBuffer with the file identifier `ORTM`) rather
 * than an ONNX protobuf.
 *
 * @example `isOrtFormat(bytes); // false for an .onnx file`
 */
export function isOrtFormat(bytes: Uint8Array): boolean {
  return bytes.length > 8 && bytes[4] === 0x4f && bytes[5] === 0x52 && bytes[6] === 0x54 && bytes[7] === 0x4d;
}

/**
 * The per-session configuration entries (ORT's `session.*` keys) for `options` and the model format.
 * ORT-format bytes are used in place, weights included: no parse copy and no initializer copy.
 */
function sessionConfig(options: SessionOptions, ortFormat: boolean): Record<string, unknown> {
  const session: Record<string, unknown> = {};
  if (options.spinning === false) session.intra_op = { allow_spinning: '0' };
  if (ortFormat) {
    session.use_ort_model_bytes_directly = '1';
    session.use_ort_model_bytes_for_initializers = '1';
  }
  if (options.saveOptimizedTo !== undefined) session.save_model_format = 'ORT';
  return Object.keys(session).length > 0 ? { extra: { session } } : {};
}

/** The tensor output shapes ORT inferred at load, when its binding exposes them (onnxruntime-node does). */
function outputShapesOf(session: OrtSession): Map<string, readonly (number | string)[]> | undefined {
  try {
    const meta = session.outputMetadata;
    if (!Array.isArray(meta)) return undefined;
    return new Map(meta.flatMap((m) => (m.isTensor && Array.isArray(m.shape) ? [[m.name, [...m.shape]] as const] : [])));
  } catch {
    return undefined;
  }
}

/** The model bytes each in-place (ORT-format) session reads from. */
const heldBytes = new WeakMap<object, Uint8Array>();

/** Turns an engine failure into a one-line Lucerna error. */
export function runtimeError(e: unknown, what: string): LucernaError {
  const msg = String((e as Error)?.message ?? e).split('\n')[0] ?? '';
  return new LucernaError('RUNTIME_ERROR', `ONNX Runtime failed to ${what}: ${msg}`);
}

/**
 * Wraps an onnxruntime module as a Lucerna {@link Runtime}. Pass a function to load the module at
 * the first session instead of at import (a native runtime takes a while to load).
 *
 * @example
 * ```ts
 * import * as ort from 'onnxruntime-node';
 * const runtime = ortRuntime(ort, 'onnxruntime-node');
 * ```
 */
export function ortRuntime(
  module: OrtModule | (() => OrtModule),
  name: string,
  extraOptions: Record<string, unknown> | (() => Record<string, unknown>) = {},
): Runtime {
  let loaded: OrtModule | undefined = typeof module === 'function' ? undefined : module;
  const ortModule = (): OrtModule => {
    loaded ??= (module as () => OrtModule)();
    return loaded;
  };
  return {
    name,
    async createSession(bytes: Uint8Array, options: SessionOptions = {}): Promise<RuntimeSession> {
      let session: OrtSession;
      const ortFormat = isOrtFormat(bytes);
      try {
        const ort = ortModule();
        session = await ort.InferenceSession.create(bytes, {
          ...(typeof extraOptions === 'function' ? extraOptions() : extraOptions),
          graphOptimizationLevel: options.optimization ?? 'all',
          logSeverityLevel: 3,
          enableMemPattern: options.memoryPattern === true && options.memoryArena !== false,
          ...sessionConfig(options, ortFormat),
          ...(options.saveOptimizedTo !== undefined ? { optimizedModelFilePath: options.saveOptimizedTo } : {}),
          ...(options.memoryArena === false ? { enableCpuMemArena: false } : {}),
          ...(options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
        });
      } catch (e) {
        if (e instanceof LucernaError) throw e;
        throw runtimeError(e, 'load the graph');
      }
      // ORT reads ORT-format bytes in place for the session's lifetime: hold them as long as it.
      if (ortFormat) heldBytes.set(session, bytes);
      let released = false;
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        outputShapes: outputShapesOf(session),
        async run(feeds, fetches) {
          if (released) throw new LucernaError('DISPOSED', 'This session was disposed');
          const ortFeeds: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = new (ortModule().Tensor)('float32', v.data, v.shape);
          let result: Awaited<ReturnType<OrtSession['run']>>;
          try {
            result = fetches ? await session.run(ortFeeds, fetches) : await session.run(ortFeeds);
          } catch (e) {
            throw runtimeError(e, 'run the graph');
          }
          const out: Record<string, EngineTensor> = {};
          for (const [k, v] of Object.entries(result)) {
            out[k] = { type: v.type, data: v.data as EngineTensor['data'], dims: [...v.dims] };
          }
          return out;
        },
        async dispose() {
          if (released) return;
          released = true;
          await session.release();
          heldBytes.delete(session);
        },
      };
    },
  };
}
