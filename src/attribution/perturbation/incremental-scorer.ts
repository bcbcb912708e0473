/**
 * A model scorer with incremental inference (Nakandala et al. 2019, Krypton,
 * https://arxiv.org/abs/1902.06693) for perturbations confined to a box of the input, such as
 * occlusion windows: the leading convolutions recompute only the box each window changes, from the
 * clean activations of the sample, and the rest of the network runs in full. Scores equal those of
 * full forward passes (to float rounding); only the arithmetic outside the changed boxes is skipped.
 */
import { type Box, type IncrementalPlan, planIncremental } from '../../engine/incremental/plan.js';
import { IncrementalSession, type LocalEdit } from '../../engine/incremental/session.js';
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { throwIfAborted } from '../rows.js';
import { softmaxRows } from '../targets.js';
import type { AttributionResult } from '../types.js';
import type { PerturbationOptions } from './context.js';
import { type ModelScorerOptions, modelScorer, type Scorer } from './scorer.js';

/** Below this many multiply-adds in all (≈ 0.2 s of arithmetic here), `auto` does not bother. */
const AUTO_MIN_MACS = 25e9;

/**
 * The overheads of an incremental row, in multiply-add equivalents, measured on ResNet-18 here
 * (2 cores, ≈ 115 G multiply-adds/s): each prefix op costs about 90 µs per row beyond its
 * arithmetic (a session call on small crops), and each value its crops copy about 3.5 ns.
 */
const STEP_OVERHEAD_MACS = 10e6;
const CROP_VALUE_MACS = 400;

/**
 * Estimated cost of an incremental row relative to a full forward pass. A deterministic model,
 * not a timing, so the same request always takes the same path (and gives the same bits).
 *
 * @example
 * ```ts
 * estimatedRatio(plan); // ≈ 0.63 for ResNet-18 occlusion with 8×8 windows
 * ```
 */
export function estimatedRatio(plan: IncrementalPlan): number {
  const { full, incremental, cropValues } = plan.cost;
  return (incremental + plan.steps.length * STEP_OVERHEAD_MACS + cropValues * CROP_VALUE_MACS) / full;
}

/** A scorer that owns sessions: dispose it when the run ends. */
export interface IncrementalScorer extends Scorer {
  /** What the plan skips: multiply-adds per row relative to a full forward pass, and the cut. */
  readonly summary: {
    readonly macsRatio: number;
    readonly localOps: number;
    readonly frontier: readonly string[];
    /** Estimated time of an incremental row relative to a full one (arithmetic and overheads). */
    readonly estimatedRatio: number;
  };
  dispose(): Promise<void>;
}

/** Options of {@link incrementalScorer}. */
export interface IncrementalScorerOptions extends ModelScorerOptions {
  /**
   * `auto` (default): only when the run is large enough to repay opening the sessions and the
   * estimated time, overheads included, is below `maxRatio` of full passes (many small ops, such
   * as MobileNet's depthwise blocks, can cost more in per-call overhead than they save).
   * `always`: whenever the plan saves arithmetic.
   */
  readonly mode?: 'auto' | 'always';
  /** Largest share of a map a recomputed box may cover (default 0.7). */
  readonly maxCoverage?: number;
  /** Use the incremental path only if it saves at least this share of multiply-adds (default 0.2). */
  readonly minSaving?: number;
  /** `auto` uses the incremental path only below this estimated time ratio (default 0.85). */
  readonly maxRatio?: number;
}

/**
 * An incremental scorer for edits of the samples of `x` confined to `boxes`, or undefined when the
 * model gains nothing from it (no local convolution at its input, or too little saved).
 *
 * @example
 * ```ts
 * const scorer = await incrementalScorer(model, x, windowBoxes, { batchSize: 32 });
 * // scorer.scoreEdits(rows, edits) equals scorer.score(rows), with less arithmetic
 * await scorer?.dispose();
 * ```
 */
export async function incrementalScorer(
  model: Model,
  x: Tensor,
  boxes: readonly Box[],
  options: IncrementalScorerOptions = {},
): Promise<IncrementalScorer | undefined> {
  const base = modelScorer(model, options);
  const output = options.output ?? (model.outputNames[0] as string);
  if (x.shape.length !== 4) return undefined;
  const prepared = await model.prepare([base.batchSize, ...x.shape.slice(1)]);
  const plan = planIncremental(prepared, [output], boxes, { maxCoverage: options.maxCoverage ?? 0.7 });
  if (!plan || plan.cost.incremental > (1 - (options.minSaving ?? 0.2)) * plan.cost.full) return undefined;
  const mode = options.mode ?? 'auto';
  const ratio = estimatedRatio(plan);
  if (mode === 'auto' && (boxes.length * plan.cost.full < AUTO_MIN_MACS || ratio > (options.maxRatio ?? 0.85))) return undefined;
  const session = await IncrementalSession.open(model, plan, x);
  return {
    batchSize: base.batchSize,
    description: `${base.description}, incremental`,
    summary: { macsRatio: plan.cost.incremental / plan.cost.full, localOps: plan.steps.length, frontier: plan.frontier, estimatedRatio: ratio },
    score: (batch, signal) => base.score(batch, signal),
    async scoreEdits(batch: Tensor, edits: readonly LocalEdit[], signal?: AbortSignal): Promise<Tensor> {
      throwIfAborted(signal);
      const n = edits.length;
      const out = (await session.run(batch, edits))[output] as Tensor;
      const k = out.data.length / session.batch;
      const rows: Tensor = { data: out.data.subarray(0, n * k), shape: [n, k] };
      return options.score === 'probability' ? { data: softmaxRows(rows), shape: rows.shape } : rows;
    },
    dispose: () => session.dispose(),
  };
}

/** The option of the methods that can run with an {@link incrementalScorer}. */
export interface IncrementalOption {
  /**
   * Recompute only what each perturbation changes in the model's leading convolutions
   * (incremental inference, Nakandala et al. 2019); the scores equal full forward passes up to
   * float rounding. Applies to ONNX models with [N, C, H, W] inputs whose first ops are local
   * (convolutions, pooling, activations). `'auto'` (default): for runs large enough to repay it,
   * and only if its estimated time (overheads included) beats full passes; `true`: whenever it saves arithmetic;
   * `false`: never.
   */
  readonly incremental?: boolean | 'auto';
}

/**
 * Runs a perturbation method with an incremental scorer when the option, the model and the input
 * allow it (and with the plain model scorer otherwise), releases its sessions afterwards, and
 * reports the plan in `details.incremental` (false when unused).
 *
 * @example
 * ```ts
 * return withIncrementalScorer(model, x, options, () => windowBoxes, (o) => runOcclusion(o));
 * ```
 */
export async function withIncrementalScorer<O extends PerturbationOptions & IncrementalOption>(
  model: Model,
  x: Tensor,
  options: O,
  boxes: () => Box[],
  run: (options: O) => Promise<AttributionResult>,
): Promise<AttributionResult> {
  const mode = options.incremental;
  if (mode !== undefined && typeof mode !== 'boolean' && mode !== 'auto') {
    throw new LucernaError('BAD_OPTION', `The option incremental must be true, false or 'auto', got ${String(mode)}`);
  }
  model.validateInput(x);
  const scorer =
    options.scorer || mode === false || x.shape.length !== 4
      ? undefined
      : await incrementalScorer(model, x, boxes(), {
          batchSize: options.batchSize,
          output: options.output,
          score: options.score,
          mode: mode === true ? 'always' : 'auto',
        });
  try {
    const r = await run(scorer ? { ...options, scorer } : options);
    return { ...r, details: { ...r.details, incremental: scorer ? scorer.summary : false } };
  } finally {
    await scorer?.dispose();
  }
}
