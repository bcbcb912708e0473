/**
 * Vector-Jacobian rules for inference no-ops: Identity and Dropout pass the gradient through.
 */
import type { VjpRule } from '../vjp.js';
import { passThrough } from './util.js';

/** No-op rules of this file, by op type. */
export const identityRules: Record<string, VjpRule> = {
  Identity: passThrough,
  Dropout: passThrough,
};
