/**
 * A model scorer with incremental inference (Nakandala et al. 2019, Krypton,
 * https://arxiv.org/abs/1902.06693) for perturbations confined to a box of the input, such as
 * occlusion windows: the leading convolutions recompute only the box each window changes, from the
 * clean activations of the sample, and the rest of the network runs in full. Scores equal those of
 * full forward passes (to float rounding); only the arithmetic outside the changed boxes is skipped.
 */
import { type Box, planIncremental } from '../../engine/incremental/plan.js';
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
 * Picks the faster path from measured chunks: chunk 1 runs incrementally (warming its sessions),
 * chunk 2 is timed incrementally, chunk 3 is timed in full, and every later chunk takes the
 * faster of the two. Only full-size chunks are timed.
 */
class PathChoice {
  private incrementalMs = Number.NaN;
  private fullMs = Number.NaN;
  private chunks = 0;
  constructor(private readonly always: boolean) {}

  next(fullChunk: boolean): 'incremental' | 'timed-incremental' | 'full' | 'timed-full' {
    if (this.always) return 'incremental';
    if (!fullChunk) return Number.isNaN(this.fullMs) || this.incrementalMs < this.fullMs ? 'incremental' : 'full';
    this.chunks++;
    if (this.chunks === 2) return 'timed-incremental';
    if (this.chunks === 3) return 'timed-full';
    if (this.chunks === 1) return 'incremental';
    return this.incrementalMs <= this.fullMs ? 'incremental' : 'full';
  }

  record(path: string, ms: number): void {
    if (path === 'timed-incremental') this.incrementalMs = ms;
    if (path === 'timed-full') this.fullMs = ms;
  }

  /** The path later chunks take, once measured. */
  get chosen(): 'incremental' | 'full' | 'undecided' {
    if (this.always) return 'incremental';
    if (Number.isNaN(this.fullMs)) return 'undecided';
    return this.incrementalMs <= this.fullMs ? 'incremental' : 'full';
  }
}

/** A scorer that owns sessions: dispose it when the run ends. */
export interface IncrementalScorer extends Scorer {
  /** What the plan skips: multiply-adds per row relative to a full forward pass, and the cut. */
  readonly summary: {
    readonly macsRatio: number;
    readonly localOps: number;
    readonly frontier: readonly string[];
    /** The path the chunks took: decided by timing one chunk each way, unless forced. */
    readonly path: 'incremental' | 'full' | 'undecided';
  };
  dispose(): Promise<void>;
}

/** Options of {@link incrementalScorer}. */
export interface IncrementalScorerOptions extends ModelScorerOptions {
  /**
   * `auto` (default): only when the run is large enough to repay opening the sessions, and only
   * after timing one chunk each way (small ops such as depthwise convolutions can cost more in
   * per-call overhead than they save). `always`: use it whenever the plan saves arithmetic.
   */
  readonly mode?: 'auto' | 'always';
  /** Largest share of a map a recomputed box may cover (default 0.7). */
  readonly maxCoverage?: number;
  /** Use the incremental path only if it saves at least this share of multiply-adds (default 0.2). */
  readonly minSaving?: number;
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
  if (mode === 'auto' && boxes.length * plan.cost.full < AUTO_MIN_MACS) return undefined;
  const session = await IncrementalSession.open(model, plan, x);
  const choice = new PathChoice(mode === 'always');
  return {
    batchSize: base.batchSize,
    description: `${base.description}, incremental`,
    get summary() {
      return { macsRatio: plan.cost.incremental / plan.cost.full, localOps: plan.steps.length, frontier: plan.frontier, path: choice.chosen };
    },
    score: (batch, signal) => base.score(batch, signal),
    async scoreEdits(batch: Tensor, edits: readonly LocalEdit[], signal?: AbortSignal): Promise<Tensor> {
      throwIfAborted(signal);
      const n = edits.length;
      const path = choice.next(n === session.batch);
      const t0 = performance.now();
      if (path === 'full' || path === 'timed-full') {
        const rows = await base.score(batch, signal);
        choice.record(path, performance.now() - t0);
        return rows;
      }
      const out = (await session.run(batch, edits))[output] as Tensor;
      choice.record(path, performance.now() - t0);
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
   * and only if a timed chunk is faster than a full one; `true`: whenever it saves arithmetic;
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
