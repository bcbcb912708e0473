/**
 * The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): a big-endian
 * header (two zero bytes, a type code, the number of dims, then each dim as uint32) followed by the
 * values. Only unsigned bytes (type 0x08) occur in these data sets, and only they are read.
 */
import { LucernaError } from '../errors.js';

/** A decoded IDX array of unsigned bytes. */
export interface IdxArray {
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/**
 * Parses IDX bytes (already decompressed).
 *
 * @example
 * ```ts
 * const { shape, data } = parseIdx(gunzipSync(bytes), 'train-images-idx3-ubyte.gz'); // [60000, 28, 28]
 * ```
 */
export function parseIdx(bytes: Uint8Array, what: string): IdxArray {
  const bad = (why: string) =>
    new LucernaError('BAD_FILE', `${what} is not a readable IDX file (${why})`, 'Reinstall it: apt-get install --reinstall dataset-fashion-mnist');
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw bad('bad magic number');
  if (bytes[2] !== 0x08) throw bad(`element type 0x${(bytes[2] ?? 0).toString(16)} is not unsigned byte`);
  const rank = bytes[3] as number;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 + 4 * rank) throw bad('truncated header');
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const start = 4 + 4 * rank;
  const size = shape.reduce((p, d) => p * d, 1);
  if (bytes.length < start + size) throw bad(`truncated: ${bytes.length - start} of ${size} values`);
  return { shape, data: bytes.subarray(start, start + size) };
}
