/**
 * Fashion-MNIST (Xiao et al. 2017, https://arxiv.org/abs/1708.07747) from the Debian package
 * `dataset-fashion-mnist`, whose gzipped IDX files live in /usr/share/datasets/fashion-mnist/.
 * Images become [1, 28, 28] float32 in [0, 1] (PyTorch's ToTensor) a batch at a time; the set
 * itself stays as its 47 MB of unsigned bytes (a gzip stream cannot be read by offset).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { LucernaError } from '../../errors.js';
import { type IdxArray, parseIdx } from '../idx.js';
import type { Dataset } from '../types.js';

/** Where the Debian package installs the files. @example `fashionMnist('test', FASHION_MNIST_DIR)` */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The ten class names, in label order. @example `FASHION_MNIST_CLASSES[9] // 'Ankle boot'` */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;

async function readIdx(dir: string, file: string): Promise<IdxArray> {
  const path = join(dir, file);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new LucernaError(
        'FILE_NOT_FOUND',
        `Fashion-MNIST is not installed (${path} is missing)`,
        'Install it with: sudo apt-get install dataset-fashion-mnist',
      );
    }
    throw new LucernaError('BAD_FILE', `Cannot read ${path} (${code ?? (e as Error).message})`);
  }
  let raw: Uint8Array;
  try {
    raw = gunzipSync(bytes);
  } catch {
    throw new LucernaError('BAD_FILE', `${path} is not a valid gzip file`, 'Reinstall it: sudo apt-get install --reinstall dataset-fashion-mnist');
  }
  return parseIdx(raw, path);
}

/**
 * The training (60 000) or test (10 000) split of Fashion-MNIST.
 *
 * @example
 * ```ts
 * const train = await fashionMnist('train');
 * const batch = await train.read([0, 1], 0); // x [2, 1, 28, 28]
 * ```
 */
export async function fashionMnist(split: 'train' | 'test', dir = FASHION_MNIST_DIR): Promise<Dataset> {
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = await readIdx(dir, `${prefix}-images-idx3-ubyte.gz`);
  const labels = await readIdx(dir, `${prefix}-labels-idx1-ubyte.gz`);
  const [count = 0, h = 0, w = 0] = images.shape;
  if (images.shape.length !== 3 || labels.shape[0] !== count) {
    throw new LucernaError('BAD_FILE', `Fashion-MNIST ${split} files disagree: images [${images.shape.join(', ')}], labels [${labels.shape.join(', ')}]`);
  }
  const pixels = h * w;
  const all = Int32Array.from(labels.data);
  return {
    size: count,
    sampleShape: [1, h, w],
    classNames: [...FASHION_MNIST_CLASSES],
    labels: async () => all,
    async read(indices) {
      const x = new Float32Array(indices.length * pixels);
      for (const [k, i] of indices.entries()) {
        const row = images.data.subarray(i * pixels, (i + 1) * pixels);
        for (let j = 0; j < pixels; j++) x[k * pixels + j] = (row[j] as number) / 255;
      }
      return { x: { data: x, shape: [indices.length, 1, h, w] }, labels: Int32Array.from(indices, (i) => all[i] as number) };
    },
  };
}
