/**
 * The data-set contract of training: a fixed number of labelled samples of one shape, read a batch
 * at a time by index (so nothing holds the whole set in memory), with seeded augmentation.
 */
import type { Tensor } from '../tensor/tensor.js';

/** One batch: samples stacked on axis 0, and their class indices. */
export interface Batch {
  readonly x: Tensor;
  readonly labels: Int32Array;
}

/**
 * A labelled data set read by index.
 *
 * @example
 * ```ts
 * const batch = await dataset.read([0, 1, 2, 3], 0);
 * ```
 */
export interface Dataset {
  readonly size: number;
  /** Shape of one sample, e.g. [3, 32, 32]. */
  readonly sampleShape: readonly number[];
  /** Class names when the data set knows them (folder names, Fashion-MNIST's names). */
  readonly classNames?: readonly string[];
  /** Every label (small: one integer per sample), for checks and stratification. */
  labels(): Promise<Int32Array>;
  /** Reads the samples at `indices`; `epoch` seeds augmentation so runs repeat exactly. */
  read(indices: readonly number[], epoch: number): Promise<Batch>;
}

/**
 * A view of `base` restricted to `indices` (a training or validation split).
 *
 * @example
 * ```ts
 * const val = subset(all, [10, 11, 12]);
 * ```
 */
export function subset(base: Dataset, indices: readonly number[]): Dataset {
  return {
    size: indices.length,
    sampleShape: base.sampleShape,
    classNames: base.classNames,
    labels: async () => {
      const all = await base.labels();
      return Int32Array.from(indices, (i) => all[i] as number);
    },
    read: (wanted, epoch) =>
      base.read(
        wanted.map((i) => indices[i] as number),
        epoch,
      ),
  };
}
