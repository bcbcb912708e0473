/**
 * The converter's source for the bundled default model: nsfwjs' MobileNetV2 classifier
 * (https://github.com/infinitered/nsfwjs, MIT), read from the `nsfwjs` package, a development
 * dependency only: `scripts/build-default-model.ts` converts it into `assets/models/`, and users get
 * that file (see `default-model.ts`).
 *
 * nsfwjs ships each model as UMD JavaScript modules: `dist/models/mobilenet_v2/model.min.js` exports
 * the model.json object (a Keras 2.2.4 functional model, weights uint8-quantised) and
 * `group1-shard1of1.min.js` exports the weight shard as a base64 string.
 *
 * Preprocessing, from nsfwjs' `core.js`: RGB pixels divided by 255, resized (bilinear, no crop) to
 * 224×224. Output `dense_3`: softmax probabilities of the classes in {@link nsfwjsLabels} order.
 */

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { LucernaError } from '../errors.js';
import { concatBytes } from '../io/bytes-node.js';
import type { Preprocessing } from '../io/preprocess.js';
import { type ConvertedModel, convertLayersModelWithSidecar } from './convert.js';
import type { LayersModelArtifacts } from './node.js';
import type { WeightsGroup } from './types.js';

/**
 * Bump when a converter change alters the converted default model (recorded in the asset's provenance).
 *
 * @example `DEFAULT_MODEL_REVISION; // 1`
 */
export const DEFAULT_MODEL_REVISION = 1;

/**
 * How nsfwjs prepares an image (`core.js`: `img.toFloat().div(255)`, `resizeBilinear` to 224×224),
 * for the converted NCHW model.
 *
 * @example `convertLayersModel(modelJson, weights, { preprocessing: NSFWJS_PREPROCESSING })`
 */
export const NSFWJS_PREPROCESSING: Preprocessing = {
  size: [224, 224],
  resize: 'stretch',
  normalization: 'unit',
  layout: 'NCHW',
  channelOrder: 'RGB',
  channels: 3,
};

function notInstalled(detail: string): LucernaError {
  return new LucernaError(
    'FILE_NOT_FOUND',
    `The nsfwjs package is not installed or incomplete (${detail})`,
    'It is a development dependency: run `npm install` in a Lucerna checkout',
  );
}

/**
 * The folder of the installed nsfwjs package.
 *
 * @example
 * ```ts
 * nsfwjsPackageDir(); // '/app/node_modules/nsfwjs'
 * ```
 */
export async function nsfwjsPackageDir(): Promise<string> {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('nsfwjs');
  } catch {
    throw notInstalled('cannot resolve "nsfwjs"');
  }
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined);
    if (pkg && (JSON.parse(pkg) as { name?: string }).name === 'nsfwjs') return dir;
  }
  throw notInstalled(`no package.json above ${entry}`);
}

/**
 * The installed nsfwjs version, e.g. `4.4.0`.
 *
 * @example `await nsfwjsVersion(); // '4.4.0'`
 */
export async function nsfwjsVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(await nsfwjsPackageDir(), 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** Runs one of nsfwjs' UMD model modules in an empty context and returns what it exports. */
async function loadUmdModule(path: string): Promise<unknown> {
  let code: string;
  try {
    code = await readFile(path, 'utf8');
  } catch {
    throw notInstalled(`missing ${path}`);
  }
  const module = { exports: {} as unknown };
  runInNewContext(code, { module, exports: module.exports }, { filename: path, timeout: 10_000 });
  // Objects made in another context fail `instanceof Array` here; a JSON round trip brings them home.
  return JSON.parse(JSON.stringify(module.exports));
}

/**
 * Reads nsfwjs' MobileNetV2 from the installed package: its model.json object and its weight
 * shards (base64 in the package), decoded and concatenated in manifest order.
 *
 * @example
 * ```ts
 * const { modelJson, weightData } = await loadNsfwjsMobileNetV2();
 * const onnx = convertLayersModel(modelJson, weightData);
 * ```
 */
export async function loadNsfwjsMobileNetV2(): Promise<LayersModelArtifacts> {
  const dir = join(await nsfwjsPackageDir(), 'dist', 'models', 'mobilenet_v2');
  const modelJson = (await loadUmdModule(join(dir, 'model.min.js'))) as { modelTopology?: unknown; weightsManifest?: WeightsGroup[] };
  if (!modelJson?.modelTopology || !Array.isArray(modelJson.weightsManifest)) throw notInstalled('model.min.js holds no model.json');
  const shards: Uint8Array[] = [];
  for (const group of modelJson.weightsManifest) {
    for (const shard of group.paths) {
      const base64 = await loadUmdModule(join(dir, `${basename(shard)}.min.js`));
      if (typeof base64 !== 'string') throw notInstalled(`${shard}.min.js holds no base64 weights`);
      shards.push(new Uint8Array(Buffer.from(base64, 'base64')));
    }
  }
  return { modelJson, weightData: concatBytes(shards) };
}

/**
 * The nsfwjs class labels in output order, read from the package's `NSFW_CLASSES` table
 * (`Drawing, Hentai, Neutral, Porn, Sexy` in nsfwjs 4.4.0).
 *
 * @example
 * ```ts
 * const labels = await nsfwjsLabels(); // ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']
 * ```
 */
export async function nsfwjsLabels(): Promise<string[]> {
  const path = join(await nsfwjsPackageDir(), 'dist', 'esm', 'nsfw_classes.js');
  const text = await readFile(path, 'utf8').catch(() => {
    throw notInstalled(`missing ${path}`);
  });
  const entries = [...text.matchAll(/(\d+)\s*:\s*['"]([^'"]+)['"]/g)].map((m) => [Number(m[1]), m[2] as string] as const);
  const labels = entries.sort((a, b) => a[0] - b[0]).map(([, label]) => label);
  if (labels.length === 0 || entries.some(([i], k) => i !== k)) throw notInstalled(`cannot read the class table in ${path}`);
  return labels;
}

/**
 * Converts nsfwjs' MobileNetV2 to ONNX, with its preprocessing and labels in the sidecar.
 *
 * @param logits Drop the final softmax, so the output `dense_3` holds logits.
 * @example
 * ```ts
 * const { onnx, sidecar } = await convertNsfwjsMobileNetV2();
 * ```
 */
export async function convertNsfwjsMobileNetV2(logits = false): Promise<ConvertedModel> {
  const { modelJson, weightData } = await loadNsfwjsMobileNetV2();
  return convertLayersModelWithSidecar(modelJson, weightData, { logits, preprocessing: NSFWJS_PREPROCESSING, labels: await nsfwjsLabels() });
}

export { type DefaultModelOptions, defaultModelPath } from './default-model.js';
