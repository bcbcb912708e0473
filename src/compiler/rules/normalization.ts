/**
 * Vector-Jacobian rules for normalization layers (BatchNormalization in inference mode, LayerNormalization).
 */
import type { VjpRule } from '../vjp.js';

/** Normalization rules of this file, by op type. */
export const normalizationRules: Record<string, VjpRule> = {};
