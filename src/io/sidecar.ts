/**
 * The model sidecar: `resnet18.lucerna.json` next to `resnet18.onnx`, holding what the ONNX file
 * cannot say: how to preprocess images and the class labels.
 *
 * ```json
 * {
 *   "version": 1,
 *   "preprocessing": { "size": [224, 224], "resize": "center-crop", "normalization": "imagenet",
 *                      "layout": "NCHW", "channelOrder": "RGB", "channels": 3 },
 *   "labels": ["tench", "goldfish", "..."]
 * }
 * ```
 * Every field is optional; `normalization` is a preset name or `{ "mean": [...], "std": [...], "range": 1 | 255 }`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { editDistance, LucernaError } from '../errors.js';
import { isNormalizationPreset, NORMALIZATION_PRESETS, type Normalization, type Preprocessing } from './preprocess.js';

/** The sidecar format version this code reads and writes. @example `{ version: SIDECAR_VERSION, labels }` */
export const SIDECAR_VERSION = 1;

/** The contents of a `model.lucerna.json` file. */
export interface Sidecar {
  /** Format version; {@link SIDECAR_VERSION} when written. */
  readonly version?: 1;
  readonly preprocessing?: Preprocessing;
  /** Class names, indexed by output class. */
  readonly labels?: readonly string[];
}

/**
 * The sidecar path of a model: same folder and stem, extension `.lucerna.json`.
 *
 * @example
 * ```ts
 * sidecarPath('models/resnet18.onnx'); // 'models/resnet18.lucerna.json'
 * ```
 */
export function sidecarPath(modelPath: string): string {
  const stem = basename(modelPath, extname(modelPath));
  return join(dirname(modelPath), `${stem}.lucerna.json`);
}

type Json = unknown;

class FieldError extends Error {}

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: Json): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** Checks `v` is an object with only `allowed` keys; `path` is '' at the top level. */
function requireObject(v: Json, path: string, allowed: readonly string[]): Record<string, Json> {
  if (!isObject(v)) throw new FieldError(`${path || 'the sidecar'} must be an object, got ${show(v)}`);
  for (const key of Object.keys(v)) {
    if (!allowed.includes(key)) {
      const close = allowed.find((a) => editDistance(a.toLowerCase(), key.toLowerCase()) <= 2);
      const name = path ? `${path}.${key}` : key;
      throw new FieldError(`unknown field ${name} (allowed: ${allowed.join(', ')}${close ? `; did you mean "${close}"?` : ''})`);
    }
  }
  return v;
}

function oneOf<T extends string | number>(v: Json, field: string, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) throw new FieldError(`${field} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${show(v)}`);
  return v as T;
}

function numbers(v: Json, field: string, ok: (n: number) => boolean, what: string): number[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((n) => typeof n === 'number' && ok(n))) {
    throw new FieldError(`${field} must be a non-empty array of ${what}, got ${show(v)}`);
  }
  return v as number[];
}

function validateNormalization(v: Json, field: string): Normalization | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') {
    if (!isNormalizationPreset(v))
      throw new FieldError(`${field} must be one of ${Object.keys(NORMALIZATION_PRESETS).join(', ')} or {mean, std}, got ${show(v)}`);
    return v;
  }
  const o = requireObject(v, field, ['mean', 'std', 'range']);
  const mean = numbers(o.mean, `${field}.mean`, Number.isFinite, 'numbers');
  const std = numbers(o.std, `${field}.std`, (n) => Number.isFinite(n) && n > 0, 'positive numbers');
  const range = oneOf(o.range, `${field}.range`, [1, 255] as const);
  if (mean.length !== std.length) throw new FieldError(`${field}.mean has ${mean.length} values but ${field}.std has ${std.length}`);
  return range === undefined ? { mean, std } : { mean, std, range };
}

function validatePreprocessing(v: Json, field: string): Preprocessing | undefined {
  if (v === undefined) return undefined;
  if (isObject(v) && ('mean' in v || 'std' in v)) {
    throw new FieldError(`${field}.mean and ${field}.std belong inside ${field}.normalization: {"mean": [...], "std": [...]}`);
  }
  const o = requireObject(v, field, ['size', 'resize', 'normalization', 'layout', 'channelOrder', 'channels']);
  let size: [number, number] | undefined;
  if (o.size !== undefined) {
    const dims = numbers(o.size, `${field}.size`, (n) => Number.isInteger(n) && n > 0, 'positive integers');
    if (dims.length !== 2) throw new FieldError(`${field}.size must be [height, width], got ${show(o.size)}`);
    size = [dims[0] as number, dims[1] as number];
  }
  const out: Preprocessing = {
    size,
    resize: oneOf(o.resize, `${field}.resize`, ['center-crop', 'stretch'] as const),
    normalization: validateNormalization(o.normalization, `${field}.normalization`),
    layout: oneOf(o.layout, `${field}.layout`, ['NCHW', 'NHWC'] as const),
    channelOrder: oneOf(o.channelOrder, `${field}.channelOrder`, ['RGB', 'BGR'] as const),
    channels: oneOf(o.channels, `${field}.channels`, [1, 3] as const),
  };
  return Object.fromEntries(Object.entries(out).filter(([, value]) => value !== undefined)) as Preprocessing;
}

function validateLabels(v: Json, field: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new FieldError(`${field} must be an array of strings, got ${show(v)}`);
  const bad = v.findIndex((s) => typeof s !== 'string');
  if (bad >= 0) throw new FieldError(`${field}[${bad}] must be a string, got ${show(v[bad])}`);
  return v as string[];
}

/**
 * Checks parsed sidecar JSON and returns it typed. A bad field is a `BAD_FILE` error naming it,
 * e.g. `resnet18.lucerna.json: preprocessing.size must be [height, width], got [224]`.
 *
 * @param where The file name for messages.
 * @example
 * ```ts
 * const sidecar = validateSidecar(JSON.parse(text), 'model.lucerna.json');
 * ```
 */
export function validateSidecar(value: unknown, where = 'the sidecar'): Sidecar {
  try {
    const o = requireObject(value, '', ['version', 'preprocessing', 'labels']);
    const version = oneOf(o.version, 'version', [SIDECAR_VERSION] as const);
    const preprocessing = validatePreprocessing(o.preprocessing, 'preprocessing');
    const labels = validateLabels(o.labels, 'labels');
    return { ...(version ? { version } : {}), ...(preprocessing ? { preprocessing } : {}), ...(labels ? { labels } : {}) };
  } catch (e) {
    if (e instanceof FieldError) throw new LucernaError('BAD_FILE', `${where}: ${e.message}`, 'Fix the field or delete the sidecar');
    throw e;
  }
}

/**
 * Reads the sidecar of a model (`model.onnx` → `model.lucerna.json`); `undefined` when there is
 * none. Invalid JSON or fields are `BAD_FILE` errors.
 *
 * @example
 * ```ts
 * const sidecar = await readSidecar('resnet18.onnx');
 * const labels = sidecar?.labels ?? [];
 * ```
 */
export async function readSidecar(modelPath: string): Promise<Sidecar | undefined> {
  const path = sidecarPath(modelPath);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new LucernaError('BAD_FILE', `Cannot read ${path} (${code ?? (e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new LucernaError('BAD_FILE', `${path} is not valid JSON (${(e as Error).message})`, 'Fix the JSON or delete the sidecar');
  }
  return validateSidecar(json, path);
}

/**
 * Validates and writes the sidecar of a model, with `version` set; returns the path written.
 *
 * @example
 * ```ts
 * await writeSidecar('resnet18.onnx', { preprocessing: { normalization: 'imagenet' }, labels });
 * ```
 */
export async function writeSidecar(modelPath: string, sidecar: Sidecar): Promise<string> {
  const path = sidecarPath(modelPath);
  const valid = validateSidecar({ ...sidecar, version: SIDECAR_VERSION }, path);
  try {
    await writeFile(path, `${JSON.stringify(valid, null, 2)}\n`);
  } catch (e) {
    throw new LucernaError('BAD_FILE', `Cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return path;
}
