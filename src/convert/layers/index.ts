/**
 * The table from Keras layer class name to converter. Each layer family lives in its own file;
 * this table only gathers them. `InputLayer` is handled by the converter itself (graph inputs).
 */
import type { LayerConverter } from '../context.js';
import { activationConverters } from './activation.js';
import { convConverters } from './conv.js';
import { coreConverters } from './core.js';
import { mergeConverters } from './merge.js';
import { normalizationConverters } from './normalization.js';
import { poolingConverters } from './pooling.js';

/**
 * Every layer converter, by Keras class name.
 *
 * @example `layerConverters.Conv2D?.(layer, [x], ctx)`
 */
export const layerConverters: Readonly<Record<string, LayerConverter>> = {
  ...activationConverters,
  ...convConverters,
  ...coreConverters,
  ...mergeConverters,
  ...normalizationConverters,
  ...poolingConverters,
};

/**
 * The Keras layer classes the converter handles, sorted.
 *
 * @example
 * ```ts
 * SUPPORTED_LAYERS.includes('DepthwiseConv2D'); // true
 * ```
 */
export const SUPPORTED_LAYERS: readonly string[] = ['InputLayer', ...Object.keys(layerConverters)].sort();
