/**
 * Decodes the weights of a TF.js model: the `weightsManifest` specs over the concatenated shard
 * bytes, in manifest order. float32 and int32 weights, uint8/uint16 affine quantisation
 * (`value = q · scale + min`; a missing `min`, as in `{scale, original_dtype}`, is 0) and float16.
 */
import { LucernaError } from '../errors.js';
import type { Weight, WeightSpec, WeightsGroup } from './types.js';

const BYTES_PER_VALUE: Readonly<Record<string, number>> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Decodes an IEEE 754 half-precision value. @example `halfToFloat(0x3c00) // 1` */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function storedDtype(spec: WeightSpec): string {
  return spec.quantization?.dtype ?? spec.dtype;
}

function decodeOne(spec: WeightSpec, view: DataView, offset: number): Float32Array {
  const n = numel(spec.shape);
  const out = new Float32Array(n);
  const q = spec.quantization;
  const stored = storedDtype(spec);
  const round = spec.dtype === 'int32' && q !== undefined;
  if (stored === 'uint8' || stored === 'uint16') {
    if (typeof q?.scale !== 'number') throw new LucernaError('BAD_FILE', `Weight "${spec.name}" is quantised to ${stored} but has no scale`);
    const scale = q.scale;
    const min = q.min ?? 0;
    for (let i = 0; i < n; i++) {
      const v = stored === 'uint8' ? view.getUint8(offset + i) : view.getUint16(offset + 2 * i, true);
      out[i] = round ? Math.round(v * scale + min) : v * scale + min;
    }
  } else if (stored === 'float16') {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(offset + 2 * i, true));
  } else if (stored === 'float32') {
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(offset + 4 * i, true);
  } else if (stored === 'int32') {
    for (let i = 0; i < n; i++) out[i] = view.getInt32(offset + 4 * i, true);
  } else if (stored === 'bool') {
    for (let i = 0; i < n; i++) out[i] = view.getUint8(offset + i);
  }
  return out;
}

/**
 * Decodes every weight of a manifest from the concatenated shard bytes.
 *
 * @param groups The `weightsManifest` of model.json.
 * @param data All shards of all groups, concatenated in manifest order.
 * @returns Each weight by its manifest name, as float32.
 * @example
 * ```ts
 * const weights = decodeWeights(modelJson.weightsManifest, shardBytes);
 * weights.get('Conv1/kernel')?.shape; // [3, 3, 3, 32]
 * ```
 */
export function decodeWeights(groups: readonly WeightsGroup[], data: ArrayBuffer | Uint8Array): Map<string, Weight> {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<string, Weight>();
  let offset = 0;
  for (const spec of groups.flatMap((g) => g.weights)) {
    const stored = storedDtype(spec);
    const size = BYTES_PER_VALUE[stored];
    if (size === undefined) {
      throw new LucernaError(
        'UNSUPPORTED_MODEL',
        `Weight "${spec.name}" is stored as ${stored}, which the converter cannot read`,
        'Use float32, int32, float16, uint8 or uint16 weights',
      );
    }
    const byteLength = numel(spec.shape) * size;
    if (offset + byteLength > bytes.byteLength) {
      throw new LucernaError(
        'BAD_FILE',
        `The weight data has ${bytes.byteLength} bytes but the manifest needs at least ${offset + byteLength} (at weight "${spec.name}")`,
        'Pass every shard listed in weightsManifest, concatenated in order',
      );
    }
    out.set(spec.name, { values: decodeOne(spec, view, offset), shape: [...spec.shape] });
    offset += byteLength;
  }
  return out;
}

/**
 * The weights of a model, looked up by layer and weight name (`Conv1` + `kernel` → `Conv1/kernel`).
 * Names saved with a `:0` suffix or under an outer scope (`model/Conv1/kernel`) are found too.
 *
 * @example
 * ```ts
 * const store = new WeightStore(decodeWeights(manifest, bytes));
 * const kernel = store.get('Conv1', 'kernel');
 * ```
 */
export class WeightStore {
  private readonly byKey = new Map<string, Weight>();

  constructor(weights: ReadonlyMap<string, Weight>) {
    for (const [name, w] of weights) {
      const clean = name.replace(/:\d+$/, '');
      this.byKey.set(clean, w);
      const parts = clean.split('/');
      for (let i = 1; i < parts.length - 1; i++) {
        const tail = parts.slice(i).join('/');
        if (!this.byKey.has(tail)) this.byKey.set(tail, w);
      }
    }
  }

  /** The weight `layer/name`, or undefined. */
  find(layer: string, name: string): Weight | undefined {
    return this.byKey.get(`${layer}/${name}`);
  }

  /** The weight `layer/name`; a missing weight is a `BAD_FILE` error. */
  get(layer: string, name: string, expectedSize?: number): Weight {
    const w = this.find(layer, name);
    if (!w) throw new LucernaError('BAD_FILE', `The weights have no "${layer}/${name}"`, 'Check that the weight shards belong to this model.json');
    if (expectedSize !== undefined && w.values.length !== expectedSize) {
      throw new LucernaError('BAD_FILE', `Weight "${layer}/${name}" has ${w.values.length} values, expected ${expectedSize}`);
    }
    return w;
  }
}
