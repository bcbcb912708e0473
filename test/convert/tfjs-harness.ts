/**
 * Test harness for the converter: builds TF.js models, saves them to an in-memory model.json +
 * weights, reloads them through a custom IOHandler, and compares TF.js predictions with ONNX
 * Runtime on the converted model (NHWC input transposed to NCHW for ORT).
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { seededRandom } from '../../src/tensor/random.js';
import { compareArrays } from '../helpers/compare.js';

await tf.setBackend('cpu');

export { tf };

/** A model.json object and its weights, as the converter takes them. */
export interface Artifacts {
  modelJson: { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  weightData: Uint8Array;
}

/** Saves a TF.js model to an in-memory model.json + weight bytes. */
export async function saveArtifacts(model: tf.LayersModel): Promise<Artifacts> {
  let saved: Artifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = a.weightData as ArrayBuffer;
      saved = {
        modelJson: { modelTopology: a.modelTopology as object, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs ?? [] }] },
        weightData: new Uint8Array(data.slice(0)),
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  assert.ok(saved);
  return saved;
}

/** Loads artifacts back into TF.js through a custom IOHandler (what a user's model.json would do). */
export async function loadArtifacts(a: Artifacts): Promise<tf.LayersModel> {
  const handler: tf.io.IOHandler = {
    load: async () => ({
      modelTopology: a.modelJson.modelTopology,
      weightSpecs: a.modelJson.weightsManifest.flatMap((g) => g.weights),
      weightData: a.weightData.slice().buffer,
    }),
  };
  return tf.loadLayersModel(handler);
}

/** Gives every weight of a model seeded random values; variances are kept positive. */
export function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const next = seededRandom(seed);
  for (const layer of model.layers) {
    const weights = layer.weights;
    if (weights.length === 0) continue;
    const values = weights.map((w) => {
      const shape = w.shape as number[];
      const positive = w.originalName.endsWith('moving_variance') || w.originalName.endsWith('gamma');
      const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (positive ? 0.5 + next() : next() * 2 - 1));
      return tf.tensor(data, shape);
    });
    layer.setWeights(values);
    for (const v of values) v.dispose();
  }
}

/** Quantises every weight of the artifacts to uint8 or uint16 (`value = q · scale + min`). */
export function quantizeArtifacts(a: Artifacts, dtype: 'uint8' | 'uint16'): Artifacts {
  const specs = a.modelJson.weightsManifest.flatMap((g) => g.weights);
  const view = new DataView(a.weightData.buffer, a.weightData.byteOffset, a.weightData.byteLength);
  const levels = dtype === 'uint8' ? 255 : 65535;
  const parts: Uint8Array[] = [];
  const out: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    const n = spec.shape.reduce((x, y) => x * y, 1);
    const values = Array.from({ length: n }, (_, i) => view.getFloat32(offset + 4 * i, true));
    offset += 4 * n;
    const min = Math.min(...values);
    const scale = (Math.max(...values) - min) / levels || 1;
    const q = dtype === 'uint8' ? new Uint8Array(n) : new Uint16Array(n);
    values.forEach((v, i) => {
      q[i] = Math.round((v - min) / scale);
    });
    parts.push(new Uint8Array(q.buffer));
    out.push({ ...spec, quantization: { dtype, min, scale } });
  }
  const weightData = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    weightData.set(p, at);
    at += p.byteLength;
  }
  return { modelJson: { ...a.modelJson, weightsManifest: [{ paths: ['weights.bin'], weights: out }] }, weightData };
}

/** Seeded random NHWC input of the given shape, in [-1, 1). */
export function randomInput(shape: readonly number[], seed: number): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => next() * 2 - 1);
}

/** NHWC → NCHW (or back with `toNchw = false`). */
export function transpose4(data: Float32Array, [n, a, b, c]: readonly number[], toNchw: boolean): Float32Array {
  const out = new Float32Array(data.length);
  const [N, H, W, C] = toNchw ? [n, a, b, c] : [n, b, c, a];
  for (let i = 0; i < (N as number); i++)
    for (let y = 0; y < (H as number); y++)
      for (let x = 0; x < (W as number); x++)
        for (let k = 0; k < (C as number); k++) {
          const nhwc = ((i * (H as number) + y) * (W as number) + x) * (C as number) + k;
          const nchw = ((i * (C as number) + k) * (H as number) + y) * (W as number) + x;
          if (toNchw) out[nchw] = data[nhwc] as number;
          else out[nhwc] = data[nchw] as number;
        }
  return out;
}

/** Runs the converted model on an NHWC input; rank-4 outputs come back NHWC, by output name. */
export async function runOnnx(onnx: Uint8Array, input: Float32Array, nhwcShape: readonly number[]): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(onnx);
  try {
    const feed = nhwcShape.length === 4 ? transpose4(input, nhwcShape, true) : input;
    const dims = nhwcShape.length === 4 ? [nhwcShape[0], nhwcShape[3], nhwcShape[1], nhwcShape[2]] : [...nhwcShape];
    const result = await session.run({ [session.inputNames[0] as string]: new ort.Tensor('float32', feed, dims as number[]) });
    const out: Record<string, Float32Array> = {};
    for (const name of session.outputNames) {
      const t = result[name] as ort.Tensor;
      const data = t.data as Float32Array;
      out[name] = t.dims.length === 4 ? transpose4(data, t.dims, false) : data;
    }
    return out;
  } finally {
    await session.release();
  }
}

/** TF.js prediction of the (reloaded) model on an NHWC input. */
export async function tfPredict(model: tf.LayersModel, input: Float32Array, shape: readonly number[]): Promise<Float32Array> {
  const x = tf.tensor(input, [...shape]);
  const y = model.predict(x) as tf.Tensor;
  const data = (await y.data()) as Float32Array;
  x.dispose();
  y.dispose();
  return data;
}

/** Asserts max |actual − expected| ≤ atol. */
export function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, label: string): void {
  const { maxDiff, at } = compareArrays(actual, expected);
  assert.ok(maxDiff <= atol, `${label}: max abs error ${maxDiff.toExponential(3)} at ${at} exceeds ${atol}`);
}
