/**
 * Turns the string flags of `lucerna evaluate` into validated methods, metrics and settings.
 */
import type { BaselineSpec } from '../../attribution/baselines.js';
import { getMethod } from '../../attribution/methods.js';
import type { AttributionMethod, CommonOptions } from '../../attribution/types.js';
import { LucernaError } from '../../errors.js';
import { type EvaluationSettings, evaluationSettings } from '../../metrics/evaluation.js';
import { type MetricInfo, resolveMetrics } from '../../metrics/registry.js';
import { parseInteger, parseNumber, splitList } from '../parse.js';
import { parseTargets, type TargetRequest } from '../targets.js';

/** Flags of `lucerna evaluate`, as commander passes them. */
export interface EvaluateFlags {
  readonly input: string;
  readonly groundTruth?: string;
  readonly methods: string;
  readonly metrics: string;
  readonly out: string;
  readonly target?: string;
  readonly layer?: string;
  readonly curveSteps?: string;
  readonly deletionBaseline?: string;
  readonly insertionBaseline?: string;
  readonly score?: string;
  readonly tolerance?: string;
  readonly stages?: string;
  readonly infidelitySamples?: string;
  readonly stdev?: string;
  readonly square?: string;
  readonly radius?: string;
  readonly sensitivitySamples?: string;
  readonly rawInfidelity?: boolean;
  readonly seed?: string;
  readonly batchSize?: string;
  readonly json?: boolean;
}

/** What a run evaluates, validated. */
export interface EvaluationPlan {
  readonly methods: AttributionMethod<CommonOptions>[];
  readonly metrics: MetricInfo[];
  readonly settings: EvaluationSettings;
  /** `--target`, resolved against the model's labels once it is open. */
  readonly targets: readonly TargetRequest[];
}

/** `zeros`, `blur` or a constant. */
function parseCurveBaseline(text: string | undefined, flag: string): BaselineSpec | undefined {
  if (text === undefined) return undefined;
  if (text === 'zeros' || text === 'blur') return text;
  const v = Number(text);
  if (text.trim() !== '' && Number.isFinite(v)) return { constant: v };
  throw new LucernaError('BAD_OPTION', `${flag} "${text}" is not zeros, blur or a number`);
}

function parseScore(text: string | undefined): 'logit' | 'probability' | undefined {
  if (text === undefined || text === 'logit' || text === 'probability') return text;
  throw new LucernaError('BAD_OPTION', `--score "${text}" is not logit or probability`);
}

/**
 * Validates the flags: unknown methods or metrics, mask metrics without `--masks`, the report
 * extension and every number (`--target` is resolved once the model's labels are known). Nothing is read from disk.
 *
 * @example
 * ```ts
 * const plan = evaluationPlan({ input: 'in/', methods: 'saliency', metrics: 'deletion', out: 'r.html' });
 * ```
 */
export function evaluationPlan(flags: EvaluateFlags): EvaluationPlan {
  const metrics = resolveMetrics(splitList(flags.metrics));
  const methodNames = [...new Set(splitList(flags.methods))];
  if (methodNames.length === 0) throw new LucernaError('BAD_OPTION', 'No method given', 'Pass --methods, e.g. --methods saliency,grad-cam');
  const methods = methodNames.map(getMethod);
  const needMasks = metrics.filter((m) => m.needsMask).map((m) => m.name);
  if (needMasks.length > 0 && flags.groundTruth === undefined) {
    throw new LucernaError(
      'BAD_OPTION',
      `The metric(s) ${needMasks.join(', ')} need ground-truth masks`,
      'Pass --ground-truth <dir> with a PNG mask per image (same file stem)',
    );
  }
  if (!/\.html?$/i.test(flags.out)) throw new LucernaError('BAD_OPTION', `--out must end in .html, got "${flags.out}"`);
  const seed = parseInteger(flags.seed, '--seed', 0);
  const settings = evaluationSettings({
    batchSize: parseInteger(flags.batchSize, '--batch-size', 1),
    methodOptions: flags.layer ? { layer: flags.layer } : {},
    curve: {
      steps: parseInteger(flags.curveSteps, '--curve-steps', 1),
      score: parseScore(flags.score),
      deletionBaseline: parseCurveBaseline(flags.deletionBaseline, '--deletion-baseline'),
      insertionBaseline: parseCurveBaseline(flags.insertionBaseline, '--insertion-baseline'),
    },
    pointing: { tolerance: parseNumber(flags.tolerance, '--tolerance', 0) },
    randomization: { stages: parseInteger(flags.stages, '--stages', 1), seed },
    infidelity: {
      samples: parseInteger(flags.infidelitySamples, '--infidelity-samples', 1),
      stdev: parseNumber(flags.stdev, '--stdev', Number.MIN_VALUE),
      squareSize: parseInteger(flags.square, '--square', 1),
      seed,
      normalize: flags.rawInfidelity ? false : undefined,
    },
    sensitivity: { samples: parseInteger(flags.sensitivitySamples, '--sensitivity-samples', 1), radius: parseNumber(flags.radius, '--radius', 0), seed },
  });
  return { methods, metrics, settings, targets: parseTargets(flags.target) };
}
