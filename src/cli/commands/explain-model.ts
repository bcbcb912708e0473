/**
 * The model side of `lucerna explain`: open the bundled model, an ONNX file or a TF.js
 * LayersModel (converted in memory), check that it takes images, and read its output as
 * logits or probabilities.
 */
import { extname } from 'node:path';
import { softmaxRows } from '../../attribution/targets.js';
import { convertLayersModelFile } from '../../convert/node.js';
import { defaultModelPath } from '../../convert/nsfwjs.js';
import { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import { loadModelFile } from '../../io/files.js';
import type { Preprocessing } from '../../io/preprocess.js';
import { readSidecar } from '../../io/sidecar.js';
import type { Tensor } from '../../tensor/tensor.js';
import { formatShape } from '../../tensor/tensor.js';

/** An opened model with what its sidecar says. */
export interface ExplainModel {
  readonly model: Model;
  /** The model as the report names it. */
  readonly name: string;
  readonly source: 'bundled' | 'onnx' | 'tfjs';
  readonly preprocessing: Preprocessing;
  readonly labels?: readonly string[];
}

/**
 * Opens the model to explain: the bundled MobileNetV2 (its logits variant, so methods explain
 * logits; probabilities are shown as their softmax), a `.json` TF.js LayersModel (converted in
 * memory, final softmax dropped likewise), or an ONNX file with its optional sidecar.
 *
 * @example
 * ```ts
 * await using opened = await openExplainModel(undefined); // the bundled model
 * ```
 */
export async function openExplainModel(given: string | undefined): Promise<ExplainModel & AsyncDisposable> {
  const opened = await open(given);
  return { ...opened, [Symbol.asyncDispose]: () => opened.model.dispose() };
}

async function open(given: string | undefined): Promise<ExplainModel> {
  if (given === undefined) {
    const path = await defaultModelPath({ logits: true });
    const sidecar = await readSidecar(path);
    const model = await loadModelFile(path, { name: 'nsfwjs MobileNetV2' });
    return {
      model,
      name: 'nsfwjs MobileNetV2 (bundled; logits variant)',
      source: 'bundled',
      preprocessing: sidecar?.preprocessing ?? {},
      labels: sidecar?.labels,
    };
  }
  if (extname(given).toLowerCase() === '.json') {
    const converted = await convertLayersModelFile(given, { logits: true });
    const model = await Model.load(converted.onnx, { name: given });
    return { model, name: given, source: 'tfjs', preprocessing: converted.sidecar.preprocessing ?? {}, labels: converted.sidecar.labels };
  }
  const sidecar = await readSidecar(given);
  const model = await loadModelFile(given);
  return { model, name: given, source: 'onnx', preprocessing: sidecar?.preprocessing ?? {}, labels: sidecar?.labels };
}

/**
 * Checks that the model takes an NCHW image batch [N, 1 or 3, H, W]; anything else is an
 * UNSUPPORTED_MODEL error naming the input's shape.
 *
 * @example
 * ```ts
 * requireImageInput(model, sidecar.preprocessing ?? {});
 * ```
 */
export function requireImageInput(model: Model, preprocessing: Preprocessing): void {
  const dims = model.input.dims;
  const shape = formatShape(dims);
  if (dims.length !== 4) {
    throw new LucernaError(
      'UNSUPPORTED_MODEL',
      `${model.name} takes input "${model.input.name}" of shape ${shape} (rank ${dims.length}), not an image [N, C, H, W]`,
      'lucerna explain needs an image classifier; use `lucerna attribute` with an .npy input for other models',
    );
  }
  const channels = dims[1];
  if (preprocessing.layout === 'NHWC' || (typeof channels === 'number' && channels !== 1 && channels !== 3)) {
    throw new LucernaError(
      'UNSUPPORTED_MODEL',
      `${model.name} takes input ${shape}, which is not an NCHW image with 1 or 3 channels`,
      'Export the model with NCHW input (TF.js models converted by Lucerna are NCHW)',
    );
  }
}

/**
 * Whether output rows already hold probabilities (each non-negative, summing to 1 within 1e-3)
 * or logits.
 *
 * @example
 * ```ts
 * outputKind({ data: Float32Array.from([0.2, 0.8]), shape: [1, 2] }); // 'probabilities'
 * ```
 */
export function outputKind(rows: Tensor): 'logits' | 'probabilities' {
  const n = rows.shape[0] ?? 1;
  const k = rows.data.length / Math.max(1, n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const v = rows.data[i * k + j] as number;
      if (v < 0) return 'logits';
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-3) return 'logits';
  }
  return 'probabilities';
}

/**
 * Probabilities of output rows: the softmax of logits, or the rows themselves.
 *
 * @example
 * ```ts
 * probabilities(logits, 'logits'); // softmax of each row
 * ```
 */
export function probabilities(rows: Tensor, kind: 'logits' | 'probabilities'): Float32Array {
  return kind === 'logits' ? softmaxRows(rows) : Float32Array.from(rows.data);
}

/**
 * The class labels for a `classes`-way output: the sidecar's when they fit, else `class i`.
 *
 * @example
 * ```ts
 * classLabels(undefined, 3); // ['class 0', 'class 1', 'class 2']
 * ```
 */
export function classLabels(labels: readonly string[] | undefined, classes: number): string[] {
  if (labels && labels.length === classes) return [...labels];
  return Array.from({ length: classes }, (_, i) => `class ${i}`);
}
