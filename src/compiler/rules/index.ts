/**
 * The table from op type to vector-Jacobian rule: the standard rule set.
 * Each op family lives in its own file; this table only gathers them.
 */
import type { VjpRule } from '../vjp.js';
import { activationRules } from './activations.js';
import { arithmeticRules } from './arithmetic.js';
import { convRules } from './conv.js';
import { identityRules } from './identity.js';
import { linearRules } from './linear.js';
import { normalizationRules } from './normalization.js';
import { poolingRules } from './pooling.js';
import { reductionRules } from './reduction.js';
import { resizeRules } from './resize.js';
import { shapeRules } from './shape.js';

/** Every standard rule, by ONNX op type. */
export const standardRuleTable: Readonly<Record<string, VjpRule>> = {
  ...activationRules,
  ...arithmeticRules,
  ...convRules,
  ...identityRules,
  ...linearRules,
  ...normalizationRules,
  ...poolingRules,
  ...reductionRules,
  ...resizeRules,
  ...shapeRules,
};
