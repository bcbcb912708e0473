/**
 * Ablation-CAM (Desai & Ramaswamy 2020, WACV,
 * https://openaccess.thecvf.com/content_WACV_2020/html/Desai_Ablation-CAM_Visual_Explanation_for_Deep_Convolutional_Network_via_Gradient-free_Localization_WACV_2020_paper.html):
 * gradient-free CAM. Each channel c of the layer is set to zero, and the drop of the target score
 * weighs that channel: w_c = (y − y_c) / y, map = Σ_c w_c·A_c.
 *
 * The ablation happens inside the graph: the model is rewritten with a per-sample channel gate on
 * the layer (see `onnx/channel-gate.ts`), a second graph input [B, C, 1, 1]. A small session over
 * the rewritten graph then scores one ablated channel per batch row, so a chunk of `batchSize`
 * ablations costs one run.
 */
import type { Model } from '../../engine/model.js';
import type { RuntimeSession } from '../../engine/runtime.js';
import { LucernaError } from '../../errors.js';
import { addChannelGate } from '../../onnx/channel-gate.js';
import { encodeModel } from '../../onnx/proto.js';
import { sizeOf, type Tensor } from '../../tensor/tensor.js';
import { type CamOptions, checkCamOptions, finishCamMaps, weightedChannelSum } from '../cam/template.js';
import { camLayer, type LayerInfo } from '../layers.js';
import { checkBatchSize, throwIfAborted } from '../rows.js';
import { resolveTargets, scoreOutput, targetScores } from '../targets.js';
import type { AttributionMethod, AttributionResult } from '../types.js';

/** Options of Ablation-CAM: the CAM options; `batchSize` (default 16) counts ablations per run. */
export type AblationCamOptions = CamOptions;

/** One run of the gated model: the score output rows and the ungated layer activation. */
interface GatedRun {
  readonly output: Tensor;
  readonly activation: Tensor;
}

/**
 * A session over the model with a channel gate on `layer`, for a fixed batch size. It reads the
 * score output and the (ungated) layer activation.
 */
class GatedSession {
  private constructor(
    private readonly session: RuntimeSession,
    private readonly names: { input: string; gate: string; output: string; layer: string },
    readonly batch: number,
    readonly sampleShape: readonly number[],
    readonly channels: number,
  ) {}

  static async open(model: Model, layer: LayerInfo, output: string, batch: number, sampleShape: readonly number[]): Promise<GatedSession> {
    const prepared = await model.prepare([batch, ...sampleShape]);
    const layerShape = prepared.shapes.get(layer.name) as readonly number[];
    const { graph, gate } = addChannelGate(prepared.graph, layer.name, layerShape, { exposeLayer: true });
    const session = await model.runtime.createSession(encodeModel(graph.toModel()), model.options);
    return new GatedSession(session, { input: model.input.name, gate, output, layer: layer.name }, batch, sampleShape, layerShape[1] as number);
  }

  /** Runs a full batch: inputs [batch, ...sample] and gates [batch, C, 1, 1]. */
  async run(input: Float32Array, gate: Float32Array): Promise<GatedRun> {
    const { names } = this;
    const raw = await this.session.run(
      { [names.input]: { data: input, shape: [this.batch, ...this.sampleShape] }, [names.gate]: { data: gate, shape: [this.batch, this.channels, 1, 1] } },
      [names.output, names.layer],
    );
    const pick = (name: string): Tensor => {
      const t = raw[name];
      if (!t) throw new LucernaError('RUNTIME_ERROR', `The gated session returned no "${name}"`);
      return { data: t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number), shape: [...t.dims] };
    };
    return { output: pick(names.output), activation: pick(names.layer) };
  }

  dispose(): Promise<void> {
    return this.session.dispose();
  }
}

/** The class score rows, targets, explained scores and layer activations of every sample (gate all ones). */
async function cleanPass(gated: GatedSession, x: Tensor, options: AblationCamOptions) {
  const n = x.shape[0] as number;
  const per = sizeOf(gated.sampleShape);
  const input = new Float32Array(gated.batch * per);
  const gate = new Float32Array(gated.batch * gated.channels).fill(1);
  let output: Float32Array | undefined;
  let activations: Float32Array | undefined;
  let k = 0;
  let layerPer = 0;
  for (let first = 0; first < n; first += gated.batch) {
    throwIfAborted(options.signal);
    const count = Math.min(gated.batch, n - first);
    input.fill(0);
    input.set(x.data.subarray(first * per, (first + count) * per));
    const r = await gated.run(input, gate);
    k = r.output.data.length / gated.batch;
    layerPer = r.activation.data.length / gated.batch;
    output ??= new Float32Array(n * k);
    activations ??= new Float32Array(n * layerPer);
    output.set(r.output.data.subarray(0, count * k), first * k);
    activations.set(r.activation.data.subarray(0, count * layerPer), first * layerPer);
  }
  const rows: Tensor = { data: output as Float32Array, shape: [n, k] };
  const targets = resolveTargets(options.target, rows);
  return { targets, scores: targetScores(rows, targets, options.score), activations: activations as Float32Array, layerPer };
}

/**
 * The target score y_c of each sample with each channel ablated, [N·C] in (sample, channel) order:
 * row r of a chunk is sample ⌊r / C⌋ with gate channel r mod C set to zero.
 */
async function ablatedScores(gated: GatedSession, x: Tensor, targets: readonly number[], options: AblationCamOptions): Promise<Float64Array> {
  const c = gated.channels;
  const total = targets.length * c;
  const per = sizeOf(gated.sampleShape);
  const input = new Float32Array(gated.batch * per);
  const gate = new Float32Array(gated.batch * c);
  const out = new Float64Array(total);
  for (let first = 0; first < total; first += gated.batch) {
    throwIfAborted(options.signal);
    const count = Math.min(gated.batch, total - first);
    input.fill(0);
    gate.fill(1);
    for (let r = 0; r < count; r++) {
      const sample = Math.floor((first + r) / c);
      input.set(x.data.subarray(sample * per, (sample + 1) * per), r * per);
      gate[r * c + ((first + r) % c)] = 0;
    }
    const { output } = await gated.run(input, gate);
    const k = output.data.length / gated.batch;
    const rowTargets = Array.from({ length: count }, (_, r) => targets[Math.floor((first + r) / c)] as number);
    const rows: Tensor = { data: output.data.subarray(0, count * k), shape: [count, k] };
    targetScores(rows, rowTargets, options.score).forEach((s, r) => {
      out[first + r] = s;
    });
    options.onProgress?.(first + count, total);
  }
  return out;
}

/**
 * Ablation-CAM's channel weights from the clean score y and the ablated scores y_c:
 * w_c = (y − y_c) / y, the paper's formula (its sign follows y's; y = 0 gives y − y_c).
 *
 * @example
 * ```ts
 * ablationWeights(2, [1, 2, 3]); // [0.5, 0, -0.5]
 * ```
 */
export function ablationWeights(y: number, ablated: ArrayLike<number>): Float64Array {
  const w = new Float64Array(ablated.length);
  const scale = y === 0 ? 1 : y;
  for (let c = 0; c < ablated.length; c++) w[c] = (y - (ablated[c] as number)) / scale;
  return w;
}

/**
 * Ablation-CAM at a layer (default: the last 4-D activation before global pooling). Returns the
 * raw map [N, 1, h, w] (the paper applies a ReLU: set `relu`), `upsample: 'bilinear'` for the
 * input's resolution, and `details.weights` (per sample, per channel). `batchSize` (default 16)
 * bounds how many ablations run at once; N·C ablations are scored in all.
 *
 * @example
 * ```ts
 * const { attribution, details } = await ablationCam.attribute(model, x, { target: 281, relu: true, upsample: 'bilinear' });
 * ```
 */
export const ablationCam: AttributionMethod<AblationCamOptions> = {
  name: 'ablation-cam',
  kind: 'layer',
  description: 'Gradient-free CAM from the score drop when each channel is ablated (Desai & Ramaswamy 2020)',
  async attribute(model: Model, x: Tensor, options: AblationCamOptions = {}): Promise<AttributionResult> {
    model.validateInput(x);
    checkCamOptions(options);
    const layer = await camLayer(model, options.layer, x.shape);
    const [, channels, h, w] = layer.shape;
    const n = x.shape[0] as number;
    const batch = Math.min(checkBatchSize(options.batchSize), n * channels);
    const gated = await GatedSession.open(model, layer, scoreOutput(model, options), batch, x.shape.slice(1));
    try {
      const clean = await cleanPass(gated, x, options);
      const ablated = await ablatedScores(gated, x, clean.targets, options);
      const maps = new Float32Array(n * h * w);
      const weights: number[][] = [];
      for (let i = 0; i < n; i++) {
        const wi = ablationWeights(clean.scores[i] as number, ablated.subarray(i * channels, (i + 1) * channels));
        weights.push(Array.from(wi));
        const a = clean.activations.subarray(i * clean.layerPer, (i + 1) * clean.layerPer);
        maps.set(weightedChannelSum(a, wi, channels, h * w), i * h * w);
      }
      const attribution = finishCamMaps({ data: maps, shape: [n, 1, h, w] }, x.shape, options);
      return { attribution, targets: clean.targets, scores: clean.scores, details: { layer: layer.name, weights } };
    } finally {
      await gated.dispose();
    }
  },
};
