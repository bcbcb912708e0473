/**
 * The request schema of `POST /v1/attribute`, checked field by field: unknown fields, missing
 * fields and wrong types are a BAD_OPTION error naming the field (HTTP 400). Pure: no `node:*`.
 */
import { LucernaError } from '../errors.js';

/** Where the input comes from: a file under a root, or inline base64 bytes. */
export type InputSource = { readonly path: string } | { readonly npy: string } | { readonly image: string };

/** How the attribution is returned: base64 little-endian float32 (default) or nested arrays. */
export type AttributionEncoding = 'base64' | 'nested';

/** A validated `POST /v1/attribute` request. */
export interface AttributeRequest {
  /** An ONNX file under a root (relative paths start at the first root). */
  readonly model: string;
  readonly input: InputSource;
  /** A registered method name (`GET /v1/methods`). */
  readonly method: string;
  /** A class index, a label from the model's sidecar, or `argmax` (default). */
  readonly target?: number | string;
  /** The method's options, named as `GET /v1/methods` lists them (`steps`, `layer`, …). */
  readonly options: Readonly<Record<string, string | number | boolean>>;
  readonly encoding: AttributionEncoding;
}

type Check = (value: unknown, field: string) => void;

const FIELDS: Record<string, { readonly required: boolean; readonly check: Check }> = {
  model: { required: true, check: nonEmptyString },
  input: { required: true, check: inputSource },
  method: { required: true, check: nonEmptyString },
  target: { required: false, check: targetValue },
  options: { required: false, check: optionsObject },
  encoding: { required: false, check: (v, f) => oneOf(v, f, ['base64', 'nested']) },
};

function bad(message: string): LucernaError {
  return new LucernaError('BAD_OPTION', message, 'See docs/serve.md for the request format');
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown, field: string): void {
  if (typeof value !== 'string' || value === '') throw bad(`"${field}" must be a non-empty string, got ${typeName(value)}`);
}

function oneOf(value: unknown, field: string, choices: readonly string[]): void {
  if (typeof value !== 'string' || !choices.includes(value)) throw bad(`"${field}" must be one of ${choices.join(', ')}`);
}

function targetValue(value: unknown, field: string): void {
  if (typeof value === 'string' && value !== '') return;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return;
  throw bad(`"${field}" must be a class index (integer ≥ 0), a label or "argmax", got ${typeName(value)}`);
}

function inputSource(value: unknown, field: string): void {
  if (!isObject(value)) throw bad(`"${field}" must be an object with one of "path", "npy" (base64) or "image" (base64), got ${typeName(value)}`);
  const keys = Object.keys(value);
  const [only] = keys;
  if (keys.length !== 1 || (only !== 'path' && only !== 'npy' && only !== 'image')) {
    throw bad(`"${field}" must have exactly one of "path", "npy" or "image", got ${keys.length === 0 ? 'none' : keys.map((k) => `"${k}"`).join(', ')}`);
  }
  nonEmptyString(value[only], `${field}.${only}`);
  if (only !== 'path' && !/^[A-Za-z0-9+/]*={0,2}$/.test(value[only] as string)) throw bad(`"${field}.${only}" must be base64`);
}

function optionsObject(value: unknown, field: string): void {
  if (!isObject(value)) throw bad(`"${field}" must be an object, got ${typeName(value)}`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw bad(`"${field}.${k}" must be a string, number or boolean, got ${typeName(v)}`);
  }
}

/**
 * Checks a parsed JSON body against the schema and fills in the defaults.
 *
 * @example
 * ```ts
 * const request = parseAttributeRequest({ model: 'cnn.onnx', input: { path: 'x.npy' }, method: 'saliency' });
 * ```
 */
export function parseAttributeRequest(body: unknown): AttributeRequest {
  if (!isObject(body)) throw bad(`the request body must be a JSON object, got ${typeName(body)}`);
  for (const key of Object.keys(body)) {
    if (!(key in FIELDS)) throw bad(`unknown field "${key}"; fields: ${Object.keys(FIELDS).join(', ')}`);
  }
  for (const [key, spec] of Object.entries(FIELDS)) {
    if (body[key] === undefined) {
      if (spec.required) throw bad(`missing field "${key}"`);
      continue;
    }
    spec.check(body[key], key);
  }
  return {
    model: body.model as string,
    input: body.input as InputSource,
    method: body.method as string,
    target: body.target as number | string | undefined,
    options: (body.options ?? {}) as Record<string, string | number | boolean>,
    encoding: (body.encoding ?? 'base64') as AttributionEncoding,
  };
}
