/**
 * The `MODEL` argument of every command: a file path, or `bundled` (also the default when it is
 * left out) for the bundled MobileNetV2 classifier, always in its logits variant. An ONNX file may
 * have a `.lucerna.json` sidecar (preprocessing, labels); a TF.js `model.json` is converted in
 * memory (final softmax dropped).
 *
 * Node-only and heavy (it loads ONNX Runtime): commands import it inside their run function.
 */
import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import { convertLayersModelFile } from '../convert/node.js';
import { defaultModelPath } from '../convert/nsfwjs.js';
import { Model } from '../engine/model.js';
import { LucernaError } from '../errors.js';
import { loadModelFile, readBytes } from '../io/files.js';
import { type PixelOptions, type Preprocessing, type ResolvedPreprocessing, resolvePreprocessing } from '../io/preprocess.js';
import { readSidecar } from '../io/sidecar.js';
import { formatShape } from '../tensor/tensor.js';
import { requireImageModel } from '../visualization/model-input.js';
import { BUNDLED_MODEL } from './flags.js';

/** An opened model with what its sidecar says; dispose it (`await using`). */
export interface OpenedModel extends AsyncDisposable {
  readonly model: Model;
  /** The path given (or `bundled`), as messages and JSON show it. */
  readonly given: string;
  /** The ONNX file read (for the bundled model, its cached copy); undefined for converted TF.js. */
  readonly file?: string;
  /** The model as reports name it. */
  readonly name: string;
  readonly source: 'bundled' | 'onnx' | 'tfjs';
  readonly preprocessing: Preprocessing;
  readonly labels?: readonly string[];
}

/**
 * Whether a MODEL argument names the bundled model (absent or `bundled`).
 *
 * @example
 * ```ts
 * isBundled(undefined); // true
 * ```
 */
export function isBundled(given: string | undefined): boolean {
  return given === undefined || given === BUNDLED_MODEL;
}

/**
 * The ONNX file of a MODEL argument: the bundled model's cached logits variant, or the path given.
 *
 * @example
 * ```ts
 * await modelFile('bundled'); // '/tmp/lucerna-models/nsfw-mobilenet_v2-logits-….onnx'
 * ```
 */
export async function modelFile(given: string | undefined): Promise<string> {
  return isBundled(given) ? defaultModelPath({ logits: true }) : (given as string);
}

/**
 * Opens a MODEL argument: the bundled model (logits variant), a TF.js `model.json` (converted in
 * memory) or an ONNX file with its optional sidecar.
 *
 * @example
 * ```ts
 * await using opened = await openModel(undefined); // the bundled model
 * ```
 */
export async function openModel(given: string | undefined): Promise<OpenedModel> {
  const opened = await open(given);
  return { ...opened, [Symbol.asyncDispose]: () => opened.model.dispose() };
}

async function open(given: string | undefined): Promise<Omit<OpenedModel, typeof Symbol.asyncDispose>> {
  if (isBundled(given)) {
    const file = await defaultModelPath({ logits: true });
    const sidecar = await readSidecar(file);
    const model = await loadModelFile(file, { name: 'nsfwjs MobileNetV2' });
    const name = 'nsfwjs MobileNetV2 (bundled; logits variant)';
    return { model, given: BUNDLED_MODEL, file, name, source: 'bundled', preprocessing: sidecar?.preprocessing ?? {}, labels: sidecar?.labels };
  }
  const path = given as string;
  if (extname(path).toLowerCase() === '.json') {
    const converted = await convertLayersModelFile(path, { logits: true });
    const model = await Model.load(converted.onnx, { name: path });
    return { model, given: path, name: path, source: 'tfjs', preprocessing: converted.sidecar.preprocessing ?? {}, labels: converted.sidecar.labels };
  }
  const sidecar = await readSidecar(path);
  const model = await loadModelFile(path);
  return { model, given: path, file: path, name: path, source: 'onnx', preprocessing: sidecar?.preprocessing ?? {}, labels: sidecar?.labels };
}

/**
 * Checks that the model takes images (`command` names who needs them in the error), then resolves
 * its preprocessing against its input (sidecar first, then the input shape); the size falls back
 * to 224×224 when the input's H and W are symbolic.
 *
 * @example
 * ```ts
 * const { preprocessing, pixels } = pixelSettings(opened, 'lucerna visualize');
 * ```
 */
export function pixelSettings(
  opened: Pick<OpenedModel, 'model' | 'preprocessing'>,
  command = 'This command',
): { preprocessing: ResolvedPreprocessing; pixels: PixelOptions } {
  requireImageModel(opened.model, undefined, command);
  const dims = opened.model.input.dims;
  let preprocessing: ResolvedPreprocessing;
  try {
    preprocessing = resolvePreprocessing(opened.preprocessing, dims);
  } catch {
    preprocessing = resolvePreprocessing({ size: [224, 224], ...opened.preprocessing }, dims);
  }
  const { normalization, layout, channelOrder, channels } = preprocessing;
  return { preprocessing, pixels: { normalization, layout, channelOrder, channels } };
}

/**
 * Checks that the model takes an NCHW image batch [N, 1 or 3, H, W]; anything else is an
 * UNSUPPORTED_MODEL error naming the input's shape and what the command needs.
 *
 * @example
 * ```ts
 * requireImageInput(model, sidecar.preprocessing ?? {}, 'lucerna explain');
 * ```
 */
export function requireImageInput(model: Model, preprocessing: Preprocessing, command = 'this command'): void {
  const dims = model.input.dims;
  const shape = formatShape(dims);
  if (dims.length !== 4) {
    throw new LucernaError(
      'UNSUPPORTED_MODEL',
      `${model.name} takes input "${model.input.name}" of shape ${shape} (rank ${dims.length}), not an image [N, C, H, W]`,
      `${command} needs an image classifier; use \`lucerna attribute\` with an .npy input for other models`,
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
 * SHA-256 (hex) of the file behind an opened model (the bundled model's shipped file, an ONNX
 * file, or the TF.js `model.json` given): the identity that graph and tree files record.
 *
 * @example
 * ```ts
 * const sha256 = await modelSha256(opened);
 * ```
 */
export async function modelSha256(opened: Pick<OpenedModel, 'file' | 'given'>): Promise<string> {
  const bytes = await readBytes(opened.file ?? opened.given, 'the model');
  return createHash('sha256').update(bytes).digest('hex');
}
