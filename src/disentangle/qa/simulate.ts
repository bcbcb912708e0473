/**
 * The active-vs-random experiment of active question-answering part learning (Zhang et al. 2017,
 * https://arxiv.org/abs/1704.03173) on units already placed on images (explanatory-graph nodes or
 * raw filters), with the simulated user: pure computation, no files (`lucerna graph qa --simulate`
 * and `npm run results` run it). Per seed, the same 3 initial clicks (images drawn from
 * the pool with that seed) start an active and a random session; after each of `questions`
 * answers of the simulated user the mean normalised error on the test images is recorded. The
 * 3-shot baseline of `graph locate` (Zhang et al. 2018, https://arxiv.org/abs/1708.01785: the 3
 * nodes that best predict the clicks) is scored on the same test images from the same clicks.
 */
import { LucernaError } from '../../errors.js';
import { seededRandom } from '../../tensor/random.js';
import { DEFAULT_LOCATE_UNITS, firingFractions, fitPartLocator, locatePart, normalisedDistance } from '../graph/locate.js';
import { imageToModel } from './frame.js';
import { runActiveQa } from './loop.js';
import { simulatedUser } from './oracle.js';
import type { Point, QaImage, QaSelection } from './types.js';

/** An image with its units and its true landmark (image px), or null when absent. */
export interface TruthImage extends QaImage {
  readonly truth: readonly [number, number] | null;
}

/** Options of {@link simulateQa}. */
export interface CurveOptions {
  readonly pool: readonly TruthImage[];
  readonly test: readonly TruthImage[];
  readonly inputSize: readonly [number, number];
  readonly seeds: readonly number[];
  readonly questions: number;
  readonly initial: number;
  /** The simulated user's acceptance radius, image px. */
  readonly radius: number;
  readonly committee?: number;
  readonly signal?: AbortSignal;
}

/** Mean error per number of questions (index 0: the initial clicks only), per seed. */
export interface Curves {
  readonly active: number[][];
  readonly random: number[][];
  /** The `graph locate` baseline (its rule and unit count, firing rates over the unlabelled pool and test images) from the same initial clicks, per seed (NaN without clicks). */
  readonly baseline: number[];
  /** Answers of each kind, summed over seeds, per selection. */
  readonly answers: Record<QaSelection, Record<'yes' | 'here' | 'absent', number>>;
}

/** Mean normalised error (model px) over the test images that show the part. */
function testError(test: readonly TruthImage[], inputSize: readonly [number, number], at: (im: TruthImage) => readonly [number, number]): number {
  const seen = test.filter((im) => im.truth);
  const model = (im: TruthImage): [number, number] => [...imageToModel(im, im.truth as Point)];
  return seen.reduce((s, im) => s + normalisedDistance([...at(im)] as [number, number], model(im), inputSize), 0) / seen.length;
}

function draw(n: number, k: number, seed: number): number[] {
  const rand = seededRandom(1000 + seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order.slice(0, k);
}

/**
 * Runs both selections for every seed.
 *
 * @example
 * ```ts
 * const curves = await simulateQa({ pool, test, inputSize: [64, 64], seeds: [0, 1], questions: 20, initial: 3, radius: 3 });
 * meanCurve(curves.active)[10]; // mean error after 10 questions
 * ```
 */
export async function simulateQa(o: CurveOptions): Promise<Curves> {
  const visible = o.pool.filter((im) => im.truth);
  if (visible.length < o.initial)
    throw new LucernaError('BAD_OPTION', `The pool has ${visible.length} images with the part; ${o.initial} initial clicks need as many`);
  if (!o.test.some((im) => im.truth)) throw new LucernaError('BAD_OPTION', 'No test image shows the part');
  const truth = new Map(o.pool.map((im) => [im.id, im.truth]));
  const oracle = simulatedUser({ truth: (id) => truth.get(id), radius: o.radius });
  // `graph locate`'s rule: frequent units only, by their firing rates on every image (landmarks unused).
  const rates = firingFractions([...o.pool, ...o.test].map((im) => im.units));
  const out: Curves = {
    active: [],
    random: [],
    baseline: [],
    answers: { active: { yes: 0, here: 0, absent: 0 }, random: { yes: 0, here: 0, absent: 0 } },
  };
  for (const seed of o.seeds) {
    const clicks = draw(visible.length, o.initial, seed).map((i) => visible[i] as TruthImage);
    const initial = clicks.map((im) => ({ image: im.id, x: (im.truth as [number, number])[0], y: (im.truth as [number, number])[1] }));
    if (clicks.length === 0) out.baseline.push(Number.NaN);
    else {
      const shots = clicks.map((im) => ({
        units: im.units,
        part: imageToModel(im, im.truth as Point),
      }));
      const locator = fitPartLocator(shots, DEFAULT_LOCATE_UNITS, o.inputSize, { rates });
      out.baseline.push(testError(o.test, o.inputSize, (im) => locatePart(locator, im.units)));
    }
    for (const selection of ['active', 'random'] as const) {
      const curve: number[] = [];
      const { steps } = await runActiveQa({
        images: o.pool,
        inputSize: o.inputSize,
        selection,
        seed,
        committee: o.committee,
        initial,
        questions: o.questions,
        oracle,
        signal: o.signal,
        onStep: (_step, session) => void curve.push(testError(o.test, o.inputSize, (im) => session.locate(im.units).model)),
      });
      for (const s of steps) out.answers[selection][s.answer.kind]++;
      out[selection].push(curve);
    }
  }
  return out;
}

/** Mean over seeds at each number of questions. @example `meanCurve([[1, 2], [3, 4]]) // [2, 3]` */
export function meanCurve(curves: readonly (readonly number[])[]): number[] {
  const n = Math.min(...curves.map((c) => c.length));
  return Array.from({ length: n }, (_, q) => curves.reduce((s, c) => s + (c[q] as number), 0) / curves.length);
}

/**
 * The fewest questions from which a mean curve stays at or below `error` up to its end (null if
 * its last point is above): a curve that dips below and rises again has not reached it.
 *
 * @example
 * ```ts
 * questionsToReach([0.1, 0.05, 0.04], 0.05); // 1
 * questionsToReach([0.1, 0.04, 0.06, 0.05], 0.05); // 3
 * ```
 */
export function questionsToReach(curve: readonly number[], error: number): number | null {
  let q = curve.length;
  while (q > 0 && (curve[q - 1] as number) <= error + 1e-12) q--;
  return q === curve.length ? null : q;
}

/** How many questions each selection needs to reach one error: {@link selectionMargin}. */
export interface SelectionMargin {
  /** The error both are measured against: random selection's after its last question. */
  readonly error: number;
  /** Questions from which random selection stays at or below it. */
  readonly random: number;
  /** Questions from which active selection stays at or below it (null if its last point is above). */
  readonly active: number | null;
}

/**
 * The margin of active over random selection, in questions: both mean curves are asked when they
 * reach, and stay at or below, random selection's final error ({@link questionsToReach}).
 *
 * @example
 * ```ts
 * selectionMargin([0.05, 0.03, 0.02, 0.02], [0.05, 0.04, 0.035, 0.03]); // { error: 0.03, random: 3, active: 1 }
 * ```
 */
export function selectionMargin(active: readonly number[], random: readonly number[]): SelectionMargin {
  const error = random[random.length - 1] as number;
  return { error, random: questionsToReach(random, error) ?? random.length - 1, active: questionsToReach(active, error) };
}
