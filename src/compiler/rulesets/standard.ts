import { standardRuleTable } from '../rules/index.js';
import type { RuleSet } from '../vjp.js';

/**
 * The standard rule set: exact vector-Jacobian products (plain gradients).
 *
 * @example
 * ```ts
 * const compiled = await model.compile({ seeds: ['logits'], rules: standardRules });
 * ```
 */
export const standardRules: RuleSet = { name: 'standard', rules: standardRuleTable, description: 'exact gradients' };
