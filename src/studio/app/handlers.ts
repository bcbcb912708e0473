/**
 * What the core worker does for each call of the protocol: plain async functions over the worker's
 * state (the loaded model), so the message loop in `worker.ts` stays a dispatcher.
 */
import { camLayers, defaultCamLayer } from '../../attribution/layers.js';
import { getMethod, methodList } from '../../attribution/methods.js';
import type { AttributionMethod } from '../../attribution/types.js';
import { collectGraphPeaks } from '../../disentangle/graph/collect.js';
import { Model } from '../../engine/model.js';
import type { Runtime } from '../../engine/runtime.js';
import { LucernaError } from '../../errors.js';
import { resolvePreprocessing } from '../../io/preprocess.js';
import { summarizeModel } from '../../onnx/inspect.js';
import type { Tensor } from '../../tensor/tensor.js';
import { visualize } from '../../visualization/activation-maximization.js';
import { channel, sum } from '../../visualization/objectives.js';
import type { BackendChoice } from './backend.js';
import { decodeImage } from './decode-image.js';
import type { AttributionData, Calls, CallType, ErrorData, LayerEntry, MethodInfo, TensorData } from './protocol.js';

/** The worker's state: its runtime and the model loaded last. */
export interface CoreState {
  readonly runtime: Runtime;
  readonly threads: number;
  /** The execution provider in use and why it was chosen. */
  readonly backend: BackendChoice;
  /** WebGPU only: how many sessions moved to the CPU (WebGPU could not run their graph). */
  readonly moved?: { readonly sessions: number };
  model?: Model;
}

/** What a handler gets besides its arguments. */
export interface CallContext {
  readonly signal: AbortSignal;
  readonly onProgress: (done: number, total: number) => void;
}

type Handler<K extends CallType> = (state: CoreState, args: Calls[K]['args'], ctx: CallContext) => Promise<Calls[K]['result']>;

/**
 * A registry descriptor as plain data.
 *
 * @example
 * ```ts
 * methodInfo(getMethod('grad-cam')).output; // 'layer-map'
 * ```
 */
export function methodInfo(m: AttributionMethod): MethodInfo {
  return {
    name: m.name,
    kind: m.kind,
    description: m.description,
    output: m.output ?? 'input',
    absAware: m.absAware ?? false,
    needs: { ...m.needs },
    options: m.options.map((o) => ({ ...o })),
  };
}

function requireModel(state: CoreState): Model {
  if (!state.model) throw new LucernaError('BAD_OPTION', 'No model is loaded', 'Load an ONNX model first');
  return state.model;
}

function tensorData(t: Tensor): TensorData {
  return { data: t.data, shape: [...t.shape] };
}

/** Keeps the parts of a method's `details` that survive structured cloning as data. */
function plainDetails(details: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> | undefined {
  if (!details) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v) || ArrayBuffer.isView(v)) out[k] = v;
    else if (typeof v === 'object' && typeof v !== 'function') {
      try {
        out[k] = structuredClone(v);
      } catch {
        // Not data (a function, a class instance with methods): left out.
      }
    }
  }
  return out;
}

/**
 * Every call's handler.
 *
 * @example
 * ```ts
 * const info = await HANDLERS['load-model'](state, { bytes }, ctx);
 * ```
 */
export const HANDLERS: { [K in CallType]: Handler<K> } = {
  async hello(state) {
    return {
      runtime: state.runtime.name,
      threads: state.threads,
      backend: state.backend.backend,
      backendReason: state.backend.reason,
      ...(state.moved ? { sessionsOnCpu: state.moved.sessions } : {}),
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      methods: methodList().map(methodInfo),
    };
  },
  async 'load-model'(state, { bytes, name }) {
    const old = state.model;
    state.model = undefined;
    await old?.dispose();
    const model = await Model.load(bytes, { runtime: state.runtime, name: name ?? 'the model' });
    state.model = model;
    return { name: model.name, inputName: model.input.name, inputDims: [...model.input.dims], outputNames: model.outputNames };
  },
  async 'list-layers'(state) {
    const model = requireModel(state);
    const layers = await camLayers(model);
    const fallback = await defaultCamLayer(model).catch(() => undefined);
    return layers.map((l): LayerEntry => ({ name: l.name, shape: [...l.shape], isDefault: l.name === fallback }));
  },
  async 'decode-image'(state, { bytes, preprocessing }) {
    return tensorData(await decodeImage(bytes, requireModel(state).input.dims, preprocessing));
  },
  async predict(state, { input }) {
    const outputs = await requireModel(state).run({ data: input.data, shape: [...input.shape] });
    return Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, tensorData(t)]));
  },
  async attribute(state, { method, input, options }, ctx): Promise<AttributionData> {
    const m = getMethod(method);
    const r = await m.attribute(
      requireModel(state),
      { data: input.data, shape: [...input.shape] },
      { ...options, signal: ctx.signal, onProgress: ctx.onProgress },
    );
    const details = plainDetails(r.details);
    return {
      attribution: tensorData(r.attribution),
      targets: [...r.targets],
      scores: [...r.scores],
      ...(r.delta ? { delta: [...r.delta] } : {}),
      ...(details ? { details } : {}),
    };
  },
  async summarize(state) {
    const model = requireModel(state);
    const shape = model.inputShape(1);
    const prepared = await model.prepare(shape);
    const camLayer = await defaultCamLayer(model, shape).catch(() => undefined);
    return summarizeModel(model.graph, { prepared, ...(camLayer ? { defaultCamLayer: camLayer } : {}) });
  },
  async peaks(state, { images, layers, peaksPerFilter }, ctx) {
    const model = requireModel(state);
    const first = images[0];
    if (!first) return { peaks: [], layers: [] };
    const inputSize: [number, number] = [first.shape[2] as number, first.shape[3] as number];
    const lazy = images.map((t) => ({ load: async () => ({ data: t.data, shape: [...t.shape] }) }));
    return collectGraphPeaks(model, lazy, { layers, inputSize, peaksPerFilter, signal: ctx.signal, onProgress: ctx.onProgress });
  },
  async visualize(state, { layer, channels, steps, preprocessing, seed }, ctx) {
    const model = requireModel(state);
    if (channels.length === 0) throw new LucernaError('BAD_OPTION', 'No units to visualise');
    const p = resolvePreprocessing(preprocessing ?? {}, model.input.dims);
    const r = await visualize(model, sum(channels.map((c, i) => channel(layer, c, { batch: i }))), {
      steps,
      batch: channels.length,
      seed: seed ?? 0,
      pixels: { normalization: p.normalization, layout: p.layout, channelOrder: p.channelOrder, channels: p.channels },
      signal: ctx.signal,
      onStep: (step) => ctx.onProgress(step, steps),
    });
    return { images: tensorData(r.images), curve: [...r.curve] };
  },
  async 'dispose-model'(state) {
    const old = state.model;
    state.model = undefined;
    await old?.dispose();
    return null;
  },
};

/**
 * Any thrown value as a one-line error for the UI.
 *
 * @example
 * ```ts
 * errorData(new LucernaError('ABORTED', 'Cancelled')); // { code: 'ABORTED', message: 'Cancelled' }
 * ```
 */
export function errorData(e: unknown): ErrorData {
  if (e instanceof LucernaError) return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  const message = String((e as Error)?.message ?? e).split('\n')[0] ?? 'Unknown error';
  return { code: 'INTERNAL', message };
}
