/**
 * A data set from two `.npy` files: inputs [N, …] (any numeric dtype, read as float32 rows by file
 * offset, never loaded whole) and integer labels [N].
 */
import { open } from 'node:fs/promises';
import { LucernaError } from '../../errors.js';
import { readBytes } from '../../io/files.js';
import { npyBytesToFloat32, npyToFloat32, parseNpy, parseNpyLayout } from '../../io/npy.js';
import type { Dataset } from '../types.js';

const HEAD_BYTES = 1 << 16;

/**
 * Integer class labels from a `.npy` file (int64, int32 or another integer dtype), shape [N].
 *
 * @example
 * ```ts
 * const labels = await readLabels('y.npy');
 * ```
 */
export async function readLabels(path: string): Promise<Int32Array> {
  const npy = parseNpy(await readBytes(path, 'the labels'), path);
  if (npy.dtype.startsWith('float') || npy.dtype === 'bool') {
    throw new LucernaError(
      'BAD_DTYPE',
      `The labels ${path} are ${npy.dtype}; they must be integer class indices`,
      'Save them with numpy.save(path, y.astype(numpy.int64))',
    );
  }
  if (npy.shape.length !== 1)
    throw new LucernaError('BAD_SHAPE', `The labels ${path} have shape [${npy.shape.join(', ')}]; expected one label per sample, [N]`);
  return Int32Array.from(npyToFloat32(npy).data);
}

/**
 * Opens an inputs/labels pair as a {@link Dataset}. The file handle is opened per read, so the data
 * set holds no resources between batches.
 *
 * @example
 * ```ts
 * const data = await npyDataset('x.npy', 'y.npy');
 * ```
 */
export async function npyDataset(inputsPath: string, labelsPath: string): Promise<Dataset> {
  const labels = await readLabels(labelsPath);
  let head: Uint8Array;
  let fileSize: number;
  try {
    const handle = await open(inputsPath, 'r');
    try {
      fileSize = (await handle.stat()).size;
      head = new Uint8Array(Math.min(HEAD_BYTES, fileSize));
      await handle.read(head, 0, head.length, 0);
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw new LucernaError('FILE_NOT_FOUND', `Cannot read the inputs ${inputsPath} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const layout = parseNpyLayout(head, inputsPath);
  const [count = 0, ...sampleShape] = layout.shape;
  if (sampleShape.length === 0)
    throw new LucernaError('BAD_SHAPE', `The inputs ${inputsPath} have shape [${layout.shape.join(', ')}]; expected [N, …] samples`);
  const rowBytes = sampleShape.reduce((p, d) => p * d, 1) * layout.itemBytes;
  if (fileSize < layout.dataOffset + count * rowBytes)
    throw new LucernaError('BAD_FILE', `The inputs ${inputsPath} are truncated`, 'Copy or save the file again');
  if (labels.length !== count) {
    throw new LucernaError('BAD_SHAPE', `${labelsPath} has ${labels.length} labels for ${count} samples in ${inputsPath}`, 'Give one label per sample');
  }
  return {
    size: count,
    sampleShape,
    labels: async () => labels,
    async read(indices) {
      const rowValues = rowBytes / layout.itemBytes;
      const x = new Float32Array(indices.length * rowValues);
      const handle = await open(inputsPath, 'r');
      try {
        const buf = new Uint8Array(rowBytes);
        for (const [k, i] of indices.entries()) {
          await handle.read(buf, 0, rowBytes, layout.dataOffset + i * rowBytes);
          x.set(npyBytesToFloat32(buf, layout.dtype), k * rowValues);
        }
      } finally {
        await handle.close();
      }
      return { x: { data: x, shape: [indices.length, ...sampleShape] }, labels: Int32Array.from(indices, (i) => labels[i] as number) };
    },
  };
}
