/**
 * The bundled default model: nsfwjs' MobileNetV2 (https://github.com/infinitered/nsfwjs, MIT),
 * converted to ONNX by Lucerna's own converter (`scripts/build-default-model.ts`) and shipped in
 * `assets/models/` with its sidecar, licence and provenance. Users never install TF.js or nsfwjs.
 *
 * The shipped file is the logits variant (no final softmax), the right output for attributions.
 * The probabilities variant is derived from it on demand (one Softmax node appended) and cached.
 */
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LucernaError } from '../errors.js';
import { userCacheDir } from '../io/cache-dir.js';
import { readSidecar, sidecarPath } from '../io/sidecar.js';
import { writeFileAtomic } from '../io/write.js';
import { makeAttributes } from '../onnx/attributes.js';
import { graphFromBytes } from '../onnx/builder.js';
import { encodeModel } from '../onnx/proto.js';

/**
 * File name of the shipped model in `assets/models/` (its sidecar sits beside it).
 *
 * @example `join('assets/models', BUNDLED_MODEL_FILE)`
 */
export const BUNDLED_MODEL_FILE = 'nsfw-mobilenet_v2-logits.onnx';

/** The output of the bundled model. */
const OUTPUT = 'dense_3';

/**
 * The absolute path of the shipped model (logits variant). The same relative path holds from
 * `src/convert/` and `dist/convert/`.
 *
 * @example
 * ```ts
 * const model = await loadModelFile(bundledModelPath());
 * ```
 */
export function bundledModelPath(): string {
  return fileURLToPath(new URL(`../../assets/models/${BUNDLED_MODEL_FILE}`, import.meta.url));
}

async function nonEmptyFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile() && s.size > 0,
    () => false,
  );
}

async function shippedModel(): Promise<string> {
  const path = bundledModelPath();
  if (!(await nonEmptyFile(path)) || !(await nonEmptyFile(sidecarPath(path)))) {
    throw new LucernaError(
      'FILE_NOT_FOUND',
      `The bundled model is missing (${path})`,
      'Reinstall lucerna; in a checkout run `node --import tsx scripts/build-default-model.ts`',
    );
  }
  return path;
}

/**
 * The probabilities variant of a logits model: the node that wrote `output` now writes
 * `<output>_logits`, and a Softmax over the last axis writes `output`. Pure graph edit.
 *
 * @example
 * ```ts
 * const probs = softmaxVariant(await readFile(bundledModelPath()));
 * ```
 */
export function softmaxVariant(bytes: Uint8Array, output = OUTPUT): Uint8Array {
  const graph = graphFromBytes(bytes, 'the bundled model');
  const producer = graph.nodes.find((n) => n.output?.includes(output));
  if (!producer) throw new LucernaError('UNKNOWN_TENSOR', `The bundled model has no "${output}"`);
  const logits = `${output}_logits`;
  producer.output = (producer.output ?? []).map((o) => (o === output ? logits : o));
  graph.nodes.push({ name: `${output}/Softmax`, opType: 'Softmax', domain: '', input: [logits], output: [output], attribute: makeAttributes({ axis: -1 }) });
  graph.invalidate();
  return encodeModel(graph.toModel());
}

/** Options of {@link defaultModelPath}. */
export interface DefaultModelOptions {
  /** Where the derived probabilities variant is cached (default: `<user cache>/models`, else `<tmpdir>/lucerna-cache`). */
  readonly cacheDir?: string;
  /** Return the shipped logits variant (no final softmax) instead of the probabilities variant. */
  readonly logits?: boolean;
}

/**
 * The path of the default model with its `.lucerna.json` sidecar: the shipped file for
 * `logits: true`; otherwise the probabilities variant, derived once into the cache (atomic writes,
 * so concurrent first uses are safe).
 *
 * @example
 * ```ts
 * const path = await defaultModelPath({ logits: true });
 * const model = await loadModelFile(path);
 * ```
 */
export async function defaultModelPath(options: DefaultModelOptions = {}): Promise<string> {
  const shipped = await shippedModel();
  if (options.logits) return shipped;
  // Named after the shipped file's SHA-256 (its provenance record), so an upgraded model is derived anew.
  const provenance = await readFile(join(dirname(shipped), 'PROVENANCE.json'), 'utf8').catch(() => '{}');
  const sha = String((JSON.parse(provenance) as { sha256?: string }).sha256 ?? (await stat(shipped)).size).slice(0, 16);
  const file = `nsfw-mobilenet_v2-probabilities-${sha}.onnx`;
  const candidates = options.cacheDir ? [options.cacheDir] : [join(userCacheDir(), 'models'), join(tmpdir(), 'lucerna-cache')];
  for (const dir of candidates) {
    const path = join(dir, file);
    if ((await nonEmptyFile(path)) && (await nonEmptyFile(sidecarPath(path)))) return path;
  }
  const bytes = softmaxVariant(new Uint8Array(await readFile(shipped)));
  const sidecar = await readSidecar(shipped);
  for (const dir of candidates) {
    const path = join(dir, file);
    try {
      await writeFileAtomic(sidecarPath(path), `${JSON.stringify(sidecar, null, 2)}\n`);
      await writeFileAtomic(path, bytes);
      return path;
    } catch {
      // Not writable: try the next folder.
    }
  }
  throw new LucernaError('BAD_FILE', `Cannot write the default model to ${candidates.join(' or ')}`, 'Pass a writable cacheDir');
}
