/**
 * The message protocol between the studio's UI thread ({@link CoreClient}) and its core worker
 * (`worker.ts`). Every request carries an `id`; the worker answers it with exactly one `result` or
 * `error`, and may send `progress` messages for it before that. `cancel` aborts a request by id.
 * Everything here is structured-clone data: typed arrays, plain objects, no functions.
 */

import type { MethodOption } from '../../attribution/options.js';
import type { MethodKind, MethodNeeds } from '../../attribution/types.js';
import type { GraphLayer, ImagePeaks } from '../../disentangle/graph/types.js';
import type { Preprocessing } from '../../io/preprocess.js';
import type { ModelSummary } from '../../onnx/inspect.js';

/** A float32 tensor as it crosses the worker boundary. */
export interface TensorData {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** A registry method's descriptor, without its function (what a view needs to build a form). */
export interface MethodInfo {
  readonly name: string;
  readonly kind: MethodKind;
  readonly description: string;
  /** `layer-map`: the raw map is [N, 1, h, w] at a layer's resolution (the CAM family). */
  readonly output: 'input' | 'layer-map';
  readonly absAware: boolean;
  readonly needs: MethodNeeds;
  /** Options besides the common ones (`target`, `score`, `output`, `batchSize`). */
  readonly options: readonly MethodOption[];
}

/** What the worker reports about itself. */
export interface CoreInfo {
  /** The engine, `onnxruntime-web`. */
  readonly runtime: string;
  /** WebAssembly threads ONNX Runtime uses: 2 when the page is cross-origin isolated, else 1. */
  readonly threads: number;
  /** The execution provider: `webgpu` where the browser has an adapter and the app the engine, else `wasm`. */
  readonly backend: 'webgpu' | 'wasm';
  /** Why that one, for a person ("no WebGPU adapter", …). */
  readonly backendReason: string;
  /** WebGPU only: sessions moved to the CPU so far, because WebGPU could not create or run their graph. */
  readonly sessionsOnCpu?: number;
  readonly crossOriginIsolated: boolean;
  /** Every method of the registry, in registry order. */
  readonly methods: readonly MethodInfo[];
}

/** The loaded model. */
export interface ModelInfo {
  readonly name: string;
  readonly inputName: string;
  /** The input dims; symbolic dims are strings. */
  readonly inputDims: readonly (number | string)[];
  readonly outputNames: readonly string[];
}

/** A layer a CAM method can read: a float 4-D activation with a spatial extent. */
export interface LayerEntry {
  readonly name: string;
  readonly shape: readonly number[];
  /** True for the layer CAM methods use when none is given. */
  readonly isDefault: boolean;
}

/** A method's result as it crosses the boundary (see `AttributionResult`). */
export interface AttributionData {
  readonly attribution: TensorData;
  readonly targets: readonly number[];
  readonly scores: readonly number[];
  readonly delta?: readonly number[];
  /** The JSON-safe part of the method's details (e.g. the layer used). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Options of an attribution call: the method's own options plus the common ones, as plain data. */
export type MethodOptionsData = Readonly<Record<string, unknown>>;

/** Arguments of a `visualize` call. */
export interface VisualizeArgs {
  /** A float 4-D activation (a CAM-able layer). */
  readonly layer: string;
  /** Channels to visualise, one image each. */
  readonly channels: readonly number[];
  /** Optimisation steps. */
  readonly steps: number;
  /** The model's preprocessing (normalisation, layout), as for `decode-image`. */
  readonly preprocessing?: Preprocessing;
  /** Seed of the start image and the random transforms (default 0). */
  readonly seed?: number;
}

/** What `visualize` returns. */
export interface FeatureVisualizations {
  /** [channels, 3, H, W], RGB in (0, 1), in the order of the channels asked for. */
  readonly images: TensorData;
  /** The summed objective after each step. */
  readonly curve: readonly number[];
}

/** Each call: its arguments and its result. */
export interface Calls {
  hello: { args: Record<string, never>; result: CoreInfo };
  'load-model': { args: { bytes: Uint8Array; name?: string }; result: ModelInfo };
  'list-layers': { args: Record<string, never>; result: LayerEntry[] };
  'decode-image': { args: { bytes: Uint8Array; preprocessing?: Preprocessing }; result: TensorData };
  predict: { args: { input: TensorData }; result: Record<string, TensorData> };
  attribute: { args: { method: string; input: TensorData; options: MethodOptionsData }; result: AttributionData };
  'dispose-model': { args: Record<string, never>; result: null };
  /** What `lucerna inspect` shows: layers, shapes, Grad-CAM candidates (studio model view). */
  summarize: { args: Record<string, never>; result: ModelSummary };
  /** Per image, the peaks of every filter of the given conv layers (units view, QA view). */
  peaks: { args: { images: TensorData[]; layers: string[]; peaksPerFilter: number }; result: { peaks: ImagePeaks[]; layers: GraphLayer[] } };
  /** Feature visualizations: one image per channel of `layer`, optimised together (units view). */
  visualize: { args: VisualizeArgs; result: FeatureVisualizations };
}

/** A call's name. */
export type CallType = keyof Calls;

/** A request from the UI thread. */
export type Request = { [K in CallType]: { readonly id: number; readonly type: K } & Calls[K]['args'] }[CallType] | CancelRequest;

/** Aborts the request `target` (a no-op when it has finished). */
export interface CancelRequest {
  readonly id: number;
  readonly type: 'cancel';
  readonly target: number;
}

/** A one-line error as it crosses the boundary (a `LucernaError`'s code, message and hint). */
export interface ErrorData {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

/** A message from the worker. */
export type Response =
  | { readonly id: number; readonly type: 'result'; readonly value: unknown }
  | { readonly id: number; readonly type: 'error'; readonly error: ErrorData }
  | { readonly id: number; readonly type: 'progress'; readonly done: number; readonly total: number };

/** The name the core worker runs under (ONNX Runtime's own thread workers are named `em-pthread…`). */
export const WORKER_NAME = 'lucerna-core';
