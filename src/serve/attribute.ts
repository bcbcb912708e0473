/**
 * `POST /v1/attribute`: one attribution map from a warm model. The input is a file under a root
 * (`.npy` as is, or an image preprocessed for the model) or inline base64 bytes; method options are
 * the ones `GET /v1/methods` lists plus `batchSize` (rows per engine call), parsed exactly as `lucerna attribute` parses its flags (file
 * options, such as an `.npy` baseline, must also lie under a root).
 *
 * Node-only.
 */
import { extname } from 'node:path';
import { Option } from 'commander';
import { getMethod } from '../attribution/methods.js';
import type { AttributionMethod } from '../attribution/types.js';
import { buildMethodOptions } from '../cli/commands/attribute-options.js';
import { parseInteger } from '../cli/parse.js';
import { parseTargets, singleTarget } from '../cli/targets.js';
import { LucernaError } from '../errors.js';
import { loadImageTensor } from '../io/image.js';
import { npyToFloat32, parseNpy } from '../io/npy.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ModelCache, WarmModel } from './models.js';
import { resolveUnderRoots } from './roots.js';
import type { AttributeRequest, InputSource } from './schema.js';

/** What the handler needs from the server. */
export interface AttributeDeps {
  readonly roots: readonly string[];
  readonly models: ModelCache;
  /** Aborted when the server shuts down. */
  readonly signal: AbortSignal;
}

/** The JSON answer of `POST /v1/attribute`. */
export interface AttributeResponse {
  readonly method: string;
  readonly targets: number[];
  readonly labels?: string[];
  readonly scores: number[];
  readonly delta?: number[];
  readonly shape: number[];
  readonly dtype: 'float32';
  /** `base64`: little-endian float32 bytes in C order; `nested`: arrays nested as `shape`. */
  readonly encoding: 'base64' | 'nested';
  readonly attribution: string | unknown[];
  readonly timings: { readonly loadMs: number; readonly attributeMs: number; readonly totalMs: number };
}

/** The request's option name of a method option (`--n-samples <n>` → `nSamples`). */
export function optionName(flag: string): string {
  return new Option(flag).attributeName();
}

async function methodOptions(method: AttributionMethod, given: AttributeRequest['options'], roots: readonly string[]): Promise<Record<string, unknown>> {
  const declared = new Map(method.options.map((o) => [optionName(o.flag), o]));
  const flags: Record<string, unknown> = {};
  const { batchSize, ...rest } = given;
  for (const [name, value] of Object.entries(rest)) {
    const option = declared.get(name);
    if (!option) {
      const takes = [...declared.keys()];
      throw new LucernaError('BAD_OPTION', `option "${name}" does not apply to ${method.name}`, `${method.name} takes ${[...takes, 'batchSize'].join(', ')}`);
    }
    const isFile =
      option.type === 'tensor-file' ||
      option.type === 'segments-file' ||
      (option.type === 'baseline' && typeof value === 'string' && value.toLowerCase().endsWith('.npy'));
    if (isFile && typeof value !== 'string') throw new LucernaError('BAD_OPTION', `option "${name}" must be a path`);
    flags[name] = isFile ? await resolveUnderRoots(roots, value as string, `${name} file`) : option.type === 'switch' ? value : String(value);
  }
  const options = await buildMethodOptions(method, flags);
  if (batchSize !== undefined) options.batchSize = parseInteger(String(batchSize), 'batchSize', 1);
  return options;
}

function decodeBase64(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

async function readInput(source: InputSource, warm: WarmModel, roots: readonly string[]): Promise<Tensor> {
  const image = { ...warm.preprocessing, inputDims: warm.model.input.dims };
  if ('npy' in source) return npyToFloat32(parseNpy(decodeBase64(source.npy), 'input.npy'));
  if ('image' in source) return (await loadImageTensor(decodeBase64(source.image), image)).tensor;
  const file = await resolveUnderRoots(roots, source.path, 'input');
  if (extname(file).toLowerCase() === '.npy') {
    const { readBytes } = await import('../io/files.js');
    return npyToFloat32(parseNpy(await readBytes(file, 'the input'), source.path));
  }
  return (await loadImageTensor(file, image)).tensor;
}

/**
 * Nests a flat array as `shape` (C order).
 *
 * @example
 * ```ts
 * nest(new Float32Array([1, 2, 3, 4]), [2, 2]); // [[1, 2], [3, 4]]
 * ```
 */
export function nest(data: ArrayLike<number>, shape: readonly number[]): unknown[] {
  const build = (offset: number, axis: number): unknown[] => {
    const n = shape[axis] as number;
    if (axis === shape.length - 1) return Array.from({ length: n }, (_, i) => data[offset + i]);
    const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: n }, (_, i) => build(offset + i * stride, axis + 1));
  };
  return shape.length === 0 ? [data[0]] : build(0, 0);
}

function encodeFloat32(data: Float32Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

/**
 * Runs one validated request on a warm model.
 *
 * @example
 * ```ts
 * const answer = await handleAttribute(parseAttributeRequest(body), { roots, models, signal });
 * ```
 */
export async function handleAttribute(request: AttributeRequest, deps: AttributeDeps): Promise<AttributeResponse> {
  const t0 = performance.now();
  const method = getMethod(request.method);
  const requests = parseTargets(request.target === undefined ? undefined : String(request.target));
  const options = await methodOptions(method, request.options, deps.roots);
  const file = await resolveUnderRoots(deps.roots, request.model, 'model');
  if (extname(file).toLowerCase() !== '.onnx')
    throw new LucernaError(
      'BAD_OPTION',
      `the model "${request.model}" is not an .onnx file`,
      'lucerna serve loads ONNX models; convert others with lucerna convert',
    );
  return deps.models.use(file, async (warm) => {
    const target = singleTarget(requests, warm.labels);
    const input = await readInput(request.input, warm, deps.roots);
    const t1 = performance.now();
    const result = await method.attribute(warm.model, input, { ...options, target, signal: deps.signal });
    const t2 = performance.now();
    const { data, shape } = result.attribution;
    const targets = [...result.targets];
    return {
      method: method.name,
      targets,
      labels: warm.labels ? targets.map((t) => warm.labels?.[t] ?? String(t)) : undefined,
      scores: [...result.scores],
      delta: result.delta ? [...result.delta] : undefined,
      shape: [...shape],
      dtype: 'float32',
      encoding: request.encoding,
      attribution: request.encoding === 'nested' ? nest(data, shape) : encodeFloat32(data),
      timings: { loadMs: Math.round(t1 - t0), attributeMs: Math.round(t2 - t1), totalMs: Math.round(performance.now() - t0) },
    };
  });
}
