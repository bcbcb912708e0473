import { LucernaError } from '../../errors.js';
import type { RuleSet } from '../vjp.js';
import { deconvnetRules } from './deconvnet.js';
import { deepliftRules } from './deeplift.js';
import { guidedClipRules, guidedRules } from './guided.js';
import { standardRules } from './standard.js';

/** The built-in rule sets by name. */
export const ruleSets: Readonly<Record<string, RuleSet>> = {
  standard: standardRules,
  guided: guidedRules,
  'guided-clip': guidedClipRules,
  deconvnet: deconvnetRules,
  deeplift: deepliftRules,
};

/** A rule set by name, or the given one. @example `resolveRuleSet('guided')` */
export function resolveRuleSet(rules: string | RuleSet | undefined): RuleSet {
  if (rules === undefined) return standardRules;
  if (typeof rules !== 'string') return rules;
  const found = ruleSets[rules];
  if (!found) {
    throw new LucernaError('BAD_PLAN', `Unknown rule set "${rules}"`, `Known rule sets: ${Object.keys(ruleSets).join(', ')}`);
  }
  return found;
}

export { deconvnetRules, deepliftRules, guidedRules, standardRules };
