/**
 * The two ways Ablation-CAM scores ablated channels. Both run the clean pass (class scores and the
 * layer's activations), then score chunks of rows where row r is one sample with one channel of
 * the layer set to zero.
 *
 * - {@link suffixAblation} runs only the graph after the layer, on edited copies of the clean
 *   activation (plus any side tensors the suffix reads, such as a residual branch). Exact, and
 *   on ResNet-18's last block it skips nearly all of the network.
 * - {@link gatedAblation} runs the whole model with a per-row channel gate on the layer. It is the
 *   fallback for graphs that cannot be cut there (a side tensor that is not float32).
 */

import { forEachChunk } from '../../engine/batching.js';
import type { Model } from '../../engine/model.js';
import { outputTensor, type RuntimeSession } from '../../engine/runtime.js';
import { isLucernaError, LucernaError } from '../../errors.js';
import { addChannelGate } from '../../onnx/channel-gate.js';
import { encodeModel } from '../../onnx/proto.js';
import { cutAfter } from '../../onnx/suffix.js';
import { sizeOf, type Tensor } from '../../tensor/tensor.js';
import type { LayerInfo } from '../layers.js';
import { throwIfAborted } from '../rows.js';
import type { CommonOptions } from '../types.js';

/** The clean pass: score output rows [N, K] and the layer's activations [N, C, h, w]. */
export interface CleanLayerPass {
  readonly output: Tensor;
  readonly activations: Float32Array;
  readonly layerPer: number;
}

/** Scores ablated channels for one request (samples `x`, one layer, a fixed chunk size). */
export interface AblationRunner {
  /** `suffix`: only the graph after the layer runs; `gated`: the whole model runs. */
  readonly kind: 'suffix' | 'gated';
  readonly batch: number;
  readonly channels: number;
  /** Runs the unablated model on every sample. */
  clean(signal?: AbortSignal): Promise<CleanLayerPass>;
  /** Score output rows [batch, K] of rows first … first + count − 1 (row r: sample ⌊r / C⌋, channel r mod C zeroed). */
  ablated(first: number, count: number): Promise<Tensor>;
  dispose(): Promise<void>;
}

/**
 * Runs every sample of `x` through `run` in chunks of `batch` rows (a short last chunk padded with
 * zeros) and stacks the sample rows of each tensor `run` returns: one array of N rows per output.
 */
async function stackChunks(
  x: Tensor,
  batch: number,
  signal: AbortSignal | undefined,
  run: (input: Tensor) => Promise<readonly Tensor[]>,
): Promise<Float32Array[]> {
  const n = x.shape[0] as number;
  const sampleShape = x.shape.slice(1);
  const per = sizeOf(sampleShape);
  const input = new Float32Array(batch * per);
  let stacked: Float32Array[] = [];
  await forEachChunk(n, batch, { signal }, async (first, count) => {
    input.fill(0);
    input.set(x.data.subarray(first * per, (first + count) * per));
    const outputs = await run({ data: input, shape: [batch, ...sampleShape] });
    if (first === 0) stacked = outputs.map((t) => new Float32Array((n * t.data.length) / batch));
    outputs.forEach((t, i) => {
      const rowSize = t.data.length / batch;
      (stacked[i] as Float32Array).set(t.data.subarray(0, count * rowSize), first * rowSize);
    });
  });
  return stacked;
}

/** Row r's sample and zeroed channel. */
const rowOf = (r: number, channels: number) => ({ sample: Math.floor(r / channels), channel: r % channels });

/**
 * Ablation over the graph after the layer. Throws UNSUPPORTED_MODEL when the graph cannot be cut
 * there; see {@link gatedAblation}.
 *
 * @example
 * ```ts
 * const runner = await suffixAblation(model, layer, 'logits', 16, x);
 * const clean = await runner.clean();
 * const rows = await runner.ablated(0, 16); // channels 0–15 of sample 0 zeroed, one per row
 * ```
 */
export async function suffixAblation(model: Model, layer: LayerInfo, output: string, batch: number, x: Tensor): Promise<AblationRunner> {
  const sampleShape = x.shape.slice(1);
  const prepared = await model.prepare([batch, ...sampleShape]);
  const suffix = cutAfter(prepared, layer.name, [output]);
  const sideShapes = suffix.sides.map((s) => prepared.shapes.get(s) as readonly number[]);
  if (batch > 1) {
    // Side tensors are fed row by row, so each must be batch-major: [batch, ...] here, [1, ...] at batch 1.
    const one = await model.prepare([1, ...sampleShape]);
    suffix.sides.forEach((s, i) => {
      const a = one.shapes.get(s);
      const b = sideShapes[i] as readonly number[];
      if (a?.[0] !== 1 || b[0] !== batch || a.slice(1).join() !== b.slice(1).join()) {
        throw new LucernaError('UNSUPPORTED_MODEL', `Tensor "${s}" read after the layer is not batch-major`);
      }
    });
  }
  const session = await model.runtime.createSession(encodeModel(suffix.graph.toModel()), model.options);
  const n = x.shape[0] as number;
  const [, channels, h, w] = layer.shape;
  const layerPer = channels * h * w;
  const sidePer = sideShapes.map((s) => sizeOf(s.slice(1)));
  let sides: Float32Array[] = [];
  let activations: Float32Array = new Float32Array(0);
  // Rows of the suffix's inputs, rebuilt for every chunk.
  const layerInput = new Float32Array(batch * layerPer);
  const sideInputs = sidePer.map((p) => new Float32Array(batch * p));
  return {
    kind: 'suffix',
    batch,
    channels,
    async clean(signal) {
      const compiled = await model.compile({ seeds: [], wrt: [], read: [layer.name, ...suffix.sides] }, [batch, ...sampleShape]);
      const [rows, layerValues, ...sideValues] = await stackChunks(x, batch, signal, async (input) => {
        const r = await compiled.run({ input, seeds: {}, inputChecked: true });
        return [r.outputs[output] as Tensor, ...[layer.name, ...suffix.sides].map((t) => r.activations[t] as Tensor)];
      });
      activations = layerValues as Float32Array;
      sides = sideValues;
      const scores = rows as Float32Array;
      return { output: { data: scores, shape: [n, scores.length / n] }, activations, layerPer };
    },
    async ablated(first, count) {
      for (let r = 0; r < count; r++) {
        const { sample, channel } = rowOf(first + r, channels);
        layerInput.set(activations.subarray(sample * layerPer, (sample + 1) * layerPer), r * layerPer);
        layerInput.fill(0, r * layerPer + channel * h * w, r * layerPer + (channel + 1) * h * w);
        sidePer.forEach((p, i) => {
          (sideInputs[i] as Float32Array).set((sides[i] as Float32Array).subarray(sample * p, (sample + 1) * p), r * p);
        });
      }
      const feeds: Record<string, { data: Float32Array; shape: readonly number[] }> = { [layer.name]: { data: layerInput, shape: [batch, channels, h, w] } };
      suffix.sides.forEach((s, i) => {
        feeds[s] = { data: sideInputs[i] as Float32Array, shape: sideShapes[i] as readonly number[] };
      });
      return outputTensor((await session.run(feeds, [output]))[output], output);
    },
    dispose: () => session.dispose(),
  };
}

/**
 * Ablation over the whole model with a per-row channel gate on the layer (see
 * `onnx/channel-gate.ts`): every row reruns the network from the input.
 *
 * @example
 * ```ts
 * const runner = await gatedAblation(model, layer, 'logits', 16, x);
 * ```
 */
export async function gatedAblation(model: Model, layer: LayerInfo, output: string, batch: number, x: Tensor): Promise<AblationRunner> {
  const sampleShape = x.shape.slice(1);
  const prepared = await model.prepare([batch, ...sampleShape]);
  const layerShape = prepared.shapes.get(layer.name) as readonly number[];
  const { graph, gate } = addChannelGate(prepared.graph, layer.name, layerShape, { exposeLayer: true });
  const session: RuntimeSession = await model.runtime.createSession(encodeModel(graph.toModel()), model.options);
  const channels = layerShape[1] as number;
  const per = sizeOf(sampleShape);
  const n = x.shape[0] as number;
  const input = new Float32Array(batch * per);
  const gates = new Float32Array(batch * channels);
  const run = async (rows: Float32Array = input) => {
    const raw = await session.run(
      { [model.input.name]: { data: rows, shape: [batch, ...sampleShape] }, [gate]: { data: gates, shape: [batch, channels, 1, 1] } },
      [output, layer.name],
    );
    return { output: outputTensor(raw[output], output), activation: outputTensor(raw[layer.name], layer.name) };
  };
  return {
    kind: 'gated',
    batch,
    channels,
    async clean(signal) {
      gates.fill(1);
      const [rows, activations] = (await stackChunks(x, batch, signal, async (rowsIn) => {
        const r = await run(rowsIn.data);
        return [r.output, r.activation];
      })) as [Float32Array, Float32Array];
      return { output: { data: rows, shape: [n, rows.length / n] }, activations, layerPer: activations.length / n };
    },
    async ablated(first, count) {
      input.fill(0);
      gates.fill(1);
      for (let r = 0; r < count; r++) {
        const { sample, channel } = rowOf(first + r, channels);
        input.set(x.data.subarray(sample * per, (sample + 1) * per), r * per);
        gates[r * channels + channel] = 0;
      }
      return (await run()).output;
    },
    dispose: () => session.dispose(),
  };
}

/**
 * The fastest runner the graph allows: {@link suffixAblation}, else {@link gatedAblation}.
 *
 * @example
 * ```ts
 * const runner = await ablationRunner(model, layer, 'logits', 16, x);
 * ```
 */
export async function ablationRunner(
  model: Model,
  layer: LayerInfo,
  output: string,
  batch: number,
  x: Tensor,
  options: CommonOptions = {},
): Promise<AblationRunner> {
  throwIfAborted(options.signal);
  try {
    return await suffixAblation(model, layer, output, batch, x);
  } catch (e) {
    if (!isLucernaError(e, 'UNSUPPORTED_MODEL')) throw e;
    return gatedAblation(model, layer, output, batch, x);
  }
}
