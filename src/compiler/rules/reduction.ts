/**
 * Vector-Jacobian rules for reductions (ReduceMean, ReduceSum).
 */
import type { VjpRule } from '../vjp.js';

/** Reduction rules of this file, by op type. */
export const reductionRules: Record<string, VjpRule> = {};
