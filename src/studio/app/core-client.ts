/**
 * The UI thread's handle on the core worker: one promise-returning method per call of the
 * protocol (`protocol.ts`). Long calls take `{ onProgress, signal }`; aborting the signal cancels
 * the call in the worker, and its promise rejects with a {@link CoreError} of code `ABORTED`.
 */
import type { Preprocessing } from '../../io/preprocess.js';
import type { ModelSummary } from '../../onnx/inspect.js';
import type {
  AttributionData,
  Calls,
  CallType,
  CoreInfo,
  ErrorData,
  FeatureVisualizations,
  LayerEntry,
  MethodOptionsData,
  ModelInfo,
  Request,
  Response,
  TensorData,
  VisualizeArgs,
} from './protocol.js';

/** A failed call: the core's error code, its one-line message and hint. */
export class CoreError extends Error {
  override readonly name = 'CoreError';
  readonly code: string;
  readonly hint?: string;
  constructor(data: ErrorData) {
    super(data.message);
    this.code = data.code;
    if (data.hint) this.hint = data.hint;
  }

  /** Message and hint on one line, for a status bar. */
  oneLine(): string {
    return this.hint ? `${this.message}. ${this.hint}` : this.message;
  }
}

/** Progress and cancellation of one call. */
export interface CallControl {
  /** Called with (done, total) units of work as the worker reports them. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Aborting it cancels the call in the worker. */
  readonly signal?: AbortSignal;
}

/** The part of a `Worker` the client uses (so tests can pass a fake). */
export interface WorkerLike {
  postMessage(message: Request, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<Response>) => void): void;
  addEventListener(type: 'error', listener: (e: ErrorEvent) => void): void;
  terminate(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  onProgress?: (done: number, total: number) => void;
}

/**
 * A typed client of the core worker.
 *
 * @example
 * ```ts
 * const core = new CoreClient(startCoreWorker());
 * await core.loadModel(new Uint8Array(await modelFile.arrayBuffer()), modelFile.name);
 * const x = await core.decodeImage(new Uint8Array(await imageFile.arrayBuffer()));
 * const ctrl = new AbortController();
 * const r = await core.attribute('integrated-gradients', x, { steps: 32 }, { onProgress: (d, t) => bar.set(d / t), signal: ctrl.signal });
 * ```
 */
export class CoreClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failed?: CoreError;

  constructor(private readonly worker: WorkerLike) {
    worker.addEventListener('message', (e: MessageEvent<Response>) => this.receive(e.data));
    worker.addEventListener('error', (e: ErrorEvent) => this.fail(new CoreError({ code: 'WORKER_FAILED', message: `The core worker failed: ${e.message}` })));
  }

  /** The engine, its threads and every registry method's descriptor. */
  hello(): Promise<CoreInfo> {
    return this.call('hello', {});
  }

  /** Loads an ONNX model (replacing the previous one). The bytes are moved to the worker. */
  loadModel(bytes: Uint8Array, name?: string): Promise<ModelInfo> {
    return this.call('load-model', name ? { bytes, name } : { bytes }, {}, [bytes.buffer as ArrayBuffer]);
  }

  /** The loaded model's CAM-able layers (float 4-D activations with a spatial extent), default marked. */
  listLayers(): Promise<LayerEntry[]> {
    return this.call('list-layers', {});
  }

  /** Decodes an image file into the loaded model's input tensor (centre crop, ImageNet normalisation by default). */
  decodeImage(bytes: Uint8Array, preprocessing?: Preprocessing): Promise<TensorData> {
    return this.call('decode-image', preprocessing ? { bytes, preprocessing } : { bytes });
  }

  /** Runs the model forward; every output by name. */
  predict(input: TensorData, control: CallControl = {}): Promise<Record<string, TensorData>> {
    return this.call('predict', { input }, control);
  }

  /**
   * Runs a registry method (`hello().methods` lists them) on `input` with its options (plain data:
   * `target`, `layer`, `steps`, …; see each method's `options`).
   */
  attribute(method: string, input: TensorData, options: MethodOptionsData = {}, control: CallControl = {}): Promise<AttributionData> {
    return this.call('attribute', { method, input, options }, control);
  }

  /** The loaded model's summary (what `lucerna inspect` prints): layers, shapes, Grad-CAM candidates. */
  summarize(): Promise<ModelSummary> {
    return this.call('summarize', {});
  }

  /**
   * Per image, the `peaksPerFilter` largest local maxima of every filter of `layers` (conv outputs,
   * lower → top), in model-input pixels: the explanatory graph's and the QA session's input.
   */
  peaks(images: TensorData[], layers: string[], peaksPerFilter: number, control: CallControl = {}): Promise<Calls['peaks']['result']> {
    return this.call('peaks', { images, layers, peaksPerFilter }, control);
  }

  /**
   * Feature visualizations (activation maximisation, the core's `visualize`): one image per channel
   * of `layer`, optimised together for `steps` steps; progress per step, cancellable.
   */
  visualize(args: VisualizeArgs, control: CallControl = {}): Promise<FeatureVisualizations> {
    return this.call('visualize', args, control);
  }

  /** Releases the loaded model's sessions. */
  async disposeModel(): Promise<void> {
    await this.call('dispose-model', {});
  }

  /** Stops the worker at once; pending calls reject with `TERMINATED`. */
  terminate(): void {
    this.worker.terminate();
    this.fail(new CoreError({ code: 'TERMINATED', message: 'The core worker was stopped' }));
  }

  private call<K extends CallType>(type: K, args: Calls[K]['args'], control: CallControl = {}, transfer: Transferable[] = []): Promise<Calls[K]['result']> {
    if (this.failed) return Promise.reject(this.failed);
    const { signal, onProgress } = control;
    if (signal?.aborted) return Promise.reject(new CoreError({ code: 'ABORTED', message: 'Cancelled' }));
    const id = this.nextId++;
    return new Promise<Calls[K]['result']>((resolve, reject) => {
      const onAbort = () => this.worker.postMessage({ id: this.nextId++, type: 'cancel', target: id });
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (v) => {
          done();
          resolve(v as Calls[K]['result']);
        },
        reject: (e) => {
          done();
          reject(e);
        },
        ...(onProgress ? { onProgress } : {}),
      });
      this.worker.postMessage({ id, type, ...args } as Request, transfer);
    });
  }

  private receive(message: Response): void {
    const p = this.pending.get(message.id);
    if (!p) return;
    if (message.type === 'progress') {
      p.onProgress?.(message.done, message.total);
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'result') p.resolve(message.value);
    else p.reject(new CoreError(message.error));
  }

  private fail(error: CoreError): void {
    this.failed = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}

export type { Preprocessing } from '../../io/preprocess.js';
export type { AttributionData, CoreInfo, LayerEntry, MethodInfo, MethodOptionsData, ModelInfo, TensorData } from './protocol.js';
export { startCoreWorker } from './start-worker.js';
