/**
 * Vector-Jacobian rules for inference no-ops: Identity and Dropout pass the gradient through.
 */
import type { VjpRule } from '../vjp.js';
import { passThrough } from './util.js';

/**
 * No-op rules of this file, by op type. Dropout is the identity at inference (its mask output,
 * when present, is boolean and gets no gradient).
 *
 * @example
 * ```ts
 * const [dX] = identityRules.Dropout(ctx); // dX === dY
 * ```
 */
export const identityRules: Record<string, VjpRule> = {
  Identity: passThrough,
  Dropout: passThrough,
};
