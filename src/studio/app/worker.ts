/**
 * The studio's core worker: registers onnxruntime-web as the runtime and answers the protocol's
 * calls (`protocol.ts`) one at a time, posting progress and honouring `cancel`. All computation
 * happens here, so the UI thread never blocks.
 */
import { setDefaultRuntime } from '../../engine/runtime.js';
import { LucernaError } from '../../errors.js';
import { type BackendChoice, chooseBackend, type GpuLike, WEBGPU_ENGINE } from './backend.js';
import { type CoreState, errorData, HANDLERS } from './handlers.js';
import { type CallType, type Request, type Response, WORKER_NAME } from './protocol.js';
import { wasmSource, webgpuEngineBase } from './wasm-source.js';
import { wasmThreads, webRuntime, yieldingRuntime } from './web-runtime.js';

interface WorkerScope {
  readonly name: string;
  postMessage(message: Response, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<Request>) => void): void;
}

const scope = globalThis as unknown as WorkerScope;

/** Transferable buffers of a result (tensor data), so large maps are moved, not copied. */
function buffersOf(value: unknown, out: Set<ArrayBuffer> = new Set()): Set<ArrayBuffer> {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer && value.byteLength === value.buffer.byteLength) out.add(value.buffer);
  } else if (value && typeof value === 'object') for (const v of Object.values(value)) buffersOf(v, out);
  return out;
}

/** WebGPU when the browser has an adapter and the app has the engine, else wasm (see `backend.ts`). */
async function createState(): Promise<CoreState> {
  const base = webgpuEngineBase();
  const engineThere = async () => base !== undefined && (await fetch(new URL(WEBGPU_ENGINE.wasm, base), { method: 'HEAD' })).ok;
  const choice: BackendChoice = await chooseBackend((navigator as { gpu?: GpuLike }).gpu, engineThere);
  if (choice.backend === 'webgpu' && base) {
    const { webgpuRuntime } = await import('./webgpu-runtime.js');
    const moved = { sessions: 0 };
    const runtime = yieldingRuntime(webgpuRuntime(base, moved));
    setDefaultRuntime(runtime);
    return { runtime, threads: 1, backend: choice, moved };
  }
  const threads = wasmThreads(globalThis.crossOriginIsolated === true, navigator.hardwareConcurrency || 1);
  const runtime = yieldingRuntime(webRuntime(threads, wasmSource()));
  setDefaultRuntime(runtime);
  return { runtime, threads, backend: choice };
}

function start(): void {
  const running = new Map<number, AbortController>();
  let state: CoreState | undefined;
  // Calls wait for the backend choice (messages are taken at once, so none is lost meanwhile).
  let queue: Promise<unknown> = createState().then((s) => {
    state = s;
  });

  const run = async (request: Exclude<Request, { type: 'cancel' }>, controller: AbortController): Promise<void> => {
    try {
      if (controller.signal.aborted) throw new LucernaError('ABORTED', 'Cancelled');
      const { id, type, ...args } = request;
      const onProgress = (done: number, total: number) => scope.postMessage({ id, type: 'progress', done, total });
      const handler = HANDLERS[type as CallType] as (s: CoreState, a: unknown, c: unknown) => Promise<unknown>;
      if (!state) throw new LucernaError('RUNTIME_ERROR', 'The engine did not start');
      const value = await handler(state, args, { signal: controller.signal, onProgress });
      scope.postMessage({ id, type: 'result', value }, [...buffersOf(value)]);
    } catch (e) {
      scope.postMessage({ id: request.id, type: 'error', error: errorData(e) });
    } finally {
      running.delete(request.id);
    }
  };

  scope.addEventListener('message', (e) => {
    const request = e.data;
    if (request.type === 'cancel') {
      running.get(request.target)?.abort();
      return;
    }
    const controller = new AbortController();
    running.set(request.id, controller);
    // One call at a time: ONNX Runtime's wasm sessions are not re-entrant, and memory stays bounded.
    queue = queue.then(() => run(request, controller));
  });
}

// ONNX Runtime starts its WebAssembly threads from its own module URL; those workers are named
// `em-pthread…` and must not start a second core.
if (scope.name === WORKER_NAME) start();
