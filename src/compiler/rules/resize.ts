/**
 * Vector-Jacobian rules for Resize (nearest and linear).
 */
import type { VjpRule } from '../vjp.js';

/** Resize rules of this file, by op type. */
export const resizeRules: Record<string, VjpRule> = {};
