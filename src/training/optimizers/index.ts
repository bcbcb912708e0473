/**
 * The optimizers by name.
 */
import { LucernaError } from '../../errors.js';
import { adam, adamw } from './adam.js';
import { sgd } from './sgd.js';
import type { Optimizer } from './types.js';

/** Every built-in optimizer, by its CLI name. @example `optimizers.adamw.name // 'adamw'` */
export const optimizers: Readonly<Record<string, Optimizer>> = { sgd, adam, adamw };

/**
 * An optimizer by name, with a clear error for an unknown one.
 *
 * @example
 * ```ts
 * const opt = optimizerByName('adamw');
 * ```
 */
export function optimizerByName(name: string): Optimizer {
  const found = optimizers[name];
  if (!found) throw new LucernaError('BAD_OPTION', `Unknown optimizer "${name}"`, `Use one of: ${Object.keys(optimizers).join(', ')}`);
  return found;
}

export { DEFAULT_HYPER, type Optimizer, type OptimizerHyper } from './types.js';
export { adam, adamw, sgd };
