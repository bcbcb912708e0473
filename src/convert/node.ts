/**
 * Node side of the converter: read a TF.js LayersModel (model.json + its .bin shards) from disk,
 * convert it, and write the ONNX file with its sidecar atomically.
 */
import { dirname, join } from 'node:path';
import { LucernaError } from '../errors.js';
import { concatBytes } from '../io/bytes-node.js';
import { readBytes } from '../io/files.js';
import { SIDECAR_VERSION, sidecarPath, validateSidecar } from '../io/sidecar.js';
import { writeFileAtomic } from '../io/write.js';
import { type ConvertedModel, type ConvertOptions, convertLayersModelWithSidecar } from './convert.js';
import type { WeightsGroup } from './types.js';

/** A model.json and its weights, concatenated in manifest order. */
export interface LayersModelArtifacts {
  readonly modelJson: object;
  readonly weightData: Uint8Array;
}

/**
 * Reads a TF.js LayersModel from disk: the model.json and every shard its `weightsManifest`
 * lists (paths relative to the model.json), concatenated in manifest order.
 *
 * @example
 * ```ts
 * const { modelJson, weightData } = await readLayersModel('web_model/model.json');
 * ```
 */
export async function readLayersModel(modelJsonPath: string): Promise<LayersModelArtifacts> {
  const text = new TextDecoder().decode(await readBytes(modelJsonPath, 'the model.json'));
  let modelJson: { weightsManifest?: WeightsGroup[] };
  try {
    modelJson = JSON.parse(text);
  } catch (e) {
    throw new LucernaError('BAD_FILE', `${modelJsonPath} is not valid JSON (${(e as Error).message})`, 'Pass the model.json of a TF.js LayersModel');
  }
  const dir = dirname(modelJsonPath);
  const shards: Uint8Array[] = [];
  for (const group of modelJson.weightsManifest ?? []) {
    for (const path of group.paths) shards.push(await readBytes(join(dir, path), 'a weight shard'));
  }
  return { modelJson, weightData: concatBytes(shards) };
}

/**
 * Reads and converts a TF.js LayersModel from disk.
 *
 * @example
 * ```ts
 * const { onnx, sidecar } = await convertLayersModelFile('web_model/model.json', { labels });
 * ```
 */
export async function convertLayersModelFile(modelJsonPath: string, options: ConvertOptions = {}): Promise<ConvertedModel> {
  const { modelJson, weightData } = await readLayersModel(modelJsonPath);
  return convertLayersModelWithSidecar(modelJson, weightData, options);
}

/**
 * Writes a converted model and its sidecar (`model.onnx` + `model.lucerna.json`), each atomically
 * (or through `write`, e.g. a CLI run's staged outputs).
 *
 * @example
 * ```ts
 * await writeConvertedModel(await convertLayersModelFile('web_model/model.json'), 'model.onnx');
 * ```
 */
export async function writeConvertedModel(
  converted: ConvertedModel,
  onnxPath: string,
  write: (path: string, data: Uint8Array | string) => Promise<void> = writeFileAtomic,
): Promise<void> {
  const sidecar = validateSidecar({ ...converted.sidecar, version: SIDECAR_VERSION }, sidecarPath(onnxPath));
  await write(sidecarPath(onnxPath), `${JSON.stringify(sidecar, null, 2)}\n`);
  await write(onnxPath, converted.onnx);
}
