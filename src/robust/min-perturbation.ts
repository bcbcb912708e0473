/**
 * The minimal perturbation per sample: the smallest ε on a grid that makes an attack succeed,
 * found by bisection as Captum's `MinParamPerturbation(mode="binary")` searches
 * (https://captum.ai/api/robust.html). Every sample runs its own search; the searches advance
 * together, one batched attack and one batched forward pass per round.
 *
 * The grid is min, min + step, … below max (max itself is never tried), and the search assumes
 * success is monotone in ε, as Captum's does. The arithmetic follows Python's: the midpoint is
 * `min + ((max − min) // step // 2)·step` with Python's float floor division, moved up one step
 * when that is 0 and `min + step < max`; the search stops when the midpoint is close to the
 * lower end (`math.isclose`), so the lower end itself is tried last.
 */
import { checkBatchSize } from '../attribution/rows.js';
import { explicitTargets } from '../attribution/targets.js';
import { forEachChunk, throwIfAborted } from '../engine/batching.js';
import type { Model } from '../engine/model.js';
import { LucernaError } from '../errors.js';
import { sizeOf, type Tensor } from '../tensor/tensor.js';
import { checkBounds } from './attack-loop.js';
import { attackOutcome, predictRows } from './evaluate.js';
import { bound } from './steps.js';
import type { AttackMethod, AttackOptions } from './types.js';

/**
 * Python's float floor division `a // b` (the quotient rounded as CPython does it, from the
 * remainder, so `1.0 // 0.1 == 9.0`).
 *
 * @example
 * ```ts
 * pyFloorDiv(1, 0.1); // 9
 * ```
 */
export function pyFloorDiv(a: number, b: number): number {
  let mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0 && b < 0 !== mod < 0) {
    mod += b;
    div -= 1;
  }
  if (div === 0) return 0;
  let floor = Math.floor(div);
  if (div - floor > 0.5) floor += 1;
  return floor;
}

/** Python's `math.isclose(a, b)` with its defaults (relative 1e-9, absolute 0). */
function isClose(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * One sample's bisection over the grid, as a state machine: ask {@link next} for the value to
 * try, {@link report} whether the attack succeeded there, until {@link done}.
 *
 * @example
 * ```ts
 * const s = new GridBisection(0, 1, 0.1);
 * while (!s.done) s.report(s.next() > 0.35);
 * s.best; // 0.4
 * ```
 */
export class GridBisection {
  private lo: number;
  private hi: number;
  private mid = Number.NaN;
  private finished = false;
  /** The smallest value where the attack succeeded, if any. */
  best: number | undefined;

  constructor(
    min: number,
    max: number,
    private readonly step: number,
  ) {
    if (![min, max, step].every(Number.isFinite) || !(step > 0) || !(max > min + step)) {
      throw new LucernaError('BAD_OPTION', `The search range needs max > min + step, got min ${min}, max ${max}, step ${step}`);
    }
    this.lo = min;
    this.hi = max;
  }

  /** True when the search has ended. */
  get done(): boolean {
    return this.finished || !(this.hi > this.lo);
  }

  /** The value to try next. */
  next(): number {
    let midStep = pyFloorDiv(pyFloorDiv(this.hi - this.lo, this.step), 2);
    if (midStep === 0 && this.lo + this.step < this.hi) midStep = 1;
    this.mid = this.lo + midStep * this.step;
    return this.mid;
  }

  /** Records whether the attack at the last {@link next} value succeeded. */
  report(success: boolean): void {
    if (success) {
      this.hi = this.mid;
      if (this.best === undefined || this.best > this.mid) this.best = this.mid;
    }
    if (isClose(this.lo, this.mid)) this.finished = true;
    else if (!success) this.lo = this.mid;
  }
}

/** Options of {@link minimalPerturbation}: an attack's options without ε, and the grid. */
export type MinimalPerturbationOptions<O extends AttackOptions> = Omit<O, 'epsilon'> & {
  /** The attack whose ε is searched. */
  readonly attack: AttackMethod<O>;
  /** Smallest ε of the grid (default 0). */
  readonly min?: number;
  /** The grid stops below this ε. */
  readonly max: number;
  /** Grid spacing. */
  readonly step: number;
  /** Called after each round with (samples finished, samples). */
  readonly onRound?: (finished: number, total: number) => void;
};

/** The result of {@link minimalPerturbation}. */
export interface MinimalPerturbation {
  /** The smallest successful ε of each sample, or null when no ε of the grid succeeded. */
  readonly epsilon: (number | null)[];
  /** The attacked input at that ε (the clean input where none succeeded). */
  readonly adversarial: Tensor;
  /** The label each sample was attacked with. */
  readonly targets: number[];
  /** The prediction on `adversarial` (on the clean input where no ε succeeded). */
  readonly predictions: number[];
  /** Rounds of batched attacks the search took. */
  readonly rounds: number;
}

/**
 * The smallest ε at which `attack` succeeds, for each sample (untargeted: the decision leaves the
 * label; targeted: it reaches the target). Samples are searched a batch at a time; each round
 * attacks the batch's unfinished samples at their own ε (finished rows are padding).
 *
 * @example
 * ```ts
 * const { epsilon } = await minimalPerturbation(model, x, { attack: fgsm, max: 0.5, step: 0.005 });
 * ```
 */
export async function minimalPerturbation<O extends AttackOptions>(
  model: Model,
  x: Tensor,
  options: MinimalPerturbationOptions<O>,
): Promise<MinimalPerturbation> {
  model.validateInput(x);
  const n = x.shape[0] as number;
  const per = sizeOf(x.shape.slice(1));
  const { lower, upper } = checkBounds(options);
  const searches = Array.from({ length: n }, () => new GridBisection(options.min ?? 0, options.max, options.step));
  const predictions = await predictRows(model, x, options);
  const targets = explicitTargets(options.target, n) ?? [...predictions];
  const adversarial = new Float32Array(x.data);
  const batch = Math.min(checkBatchSize(options.batchSize), Math.max(1, n));
  const { attack, min: _min, max: _max, step: _step, onRound: _onRound, ...rest } = options;
  const attackOptions = { ...rest, batchSize: batch } as unknown as O;
  let rounds = 0;
  await forEachChunk(n, batch, { signal: options.signal }, async (first, count) => {
    const members = Array.from({ length: count }, (_, k) => first + k);
    for (let active = members.filter((i) => !searches[i]?.done); active.length > 0; active = active.filter((i) => !searches[i]?.done)) {
      throwIfAborted(options.signal);
      // Padding rows repeat the first active sample; their results are dropped.
      const rows = Array.from({ length: batch }, (_, k) => active[k] ?? (active[0] as number));
      const epsilon = rows.map((i, k) => (k < active.length ? (searches[i] as GridBisection).next() : options.step));
      const clean = gatherRows(x, rows, per);
      const result = await attack.perturb(model, clean, {
        ...attackOptions,
        epsilon: epsilon.map((e) => (e > 0 ? e : options.step)),
        target: rows.map((i) => targets[i] as number),
      });
      const attacked = result.adversarial.data;
      // ε = 0 leaves each sample as the attack's final bound leaves it.
      epsilon.forEach((e, k) => {
        if (e > 0) return;
        attacked.set(clean.data.subarray(k * per, (k + 1) * per), k * per);
        bound(attacked, k * per, (k + 1) * per, lower, upper);
      });
      const outcome = await attackOutcome(model, result.adversarial, result, { ...options, batchSize: batch });
      active.forEach((i, k) => {
        const search = searches[i] as GridBisection;
        const before = search.best;
        search.report(outcome.success[k] as boolean);
        if (search.best !== before) {
          adversarial.set(attacked.subarray(k * per, (k + 1) * per), i * per);
          predictions[i] = outcome.predictions[k] as number;
        }
      });
      rounds++;
      options.onRound?.(searches.filter((s) => s.done).length, n);
    }
  });
  return { epsilon: searches.map((s) => s.best ?? null), adversarial: { data: adversarial, shape: [...x.shape] }, targets, predictions, rounds };
}

function gatherRows(x: Tensor, rows: readonly number[], per: number): Tensor {
  const data = new Float32Array(rows.length * per);
  rows.forEach((r, k) => {
    data.set(x.data.subarray(r * per, (r + 1) * per), k * per);
  });
  return { data, shape: [rows.length, ...x.shape.slice(1)] };
}
