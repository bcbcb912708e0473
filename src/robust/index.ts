/**
 * Adversarial weak points (`captum.robust`): FGSM, PGD, the minimal perturbation per sample, and
 * the evaluation of an attack. See each file for its paper and its exact semantics.
 */
import { LucernaError } from '../errors.js';
import { fgsm } from './fgsm.js';
import { pgd } from './pgd.js';
import type { AttackMethod } from './types.js';

export { type AttackChunk, attackChunks, checkBounds, lossHead, perSample } from './attack-loop.js';
export { type AttackOutcome, attackOutcome, type EvaluateOptions, forwardRows, logitCrossEntropy, predictRows } from './evaluate.js';
export { type FgsmOptions, fgsm } from './fgsm.js';
export { GridBisection, type MinimalPerturbation, type MinimalPerturbationOptions, minimalPerturbation, pyFloorDiv } from './min-perturbation.js';
export { DEFAULT_PGD_STEPS, type PgdOptions, pgd, randomStart } from './pgd.js';
// The page itself (`report-html.ts`) loads Observable Plot: import it directly, so `lucerna attack --help` stays light.
export type { RobustnessReportData, RobustnessReportImage } from './report-html.js';
export { type RobustnessOptions, type RobustnessResult, type RobustnessSample, robustnessStudy, successRates } from './robustness.js';
export type { AttackMethod, AttackNorm, AttackOptions, AttackResult, PerSample } from './types.js';

/** Every attack, by its CLI name. */
const ATTACKS: Readonly<Record<string, AttackMethod>> = { fgsm, pgd: pgd as AttackMethod };

/**
 * The names of the attacks.
 *
 * @example
 * ```ts
 * attackNames(); // ['fgsm', 'pgd']
 * ```
 */
export function attackNames(): string[] {
  return Object.keys(ATTACKS);
}

/**
 * The attack called `name`; an unknown name is a one-line error listing the others.
 *
 * @example
 * ```ts
 * const attack = getAttack('pgd');
 * ```
 */
export function getAttack(name: string): AttackMethod {
  const attack = ATTACKS[name];
  if (!attack) throw new LucernaError('BAD_OPTION', `Unknown attack "${name}"`, `Use one of ${attackNames().join(', ')}`);
  return attack;
}
