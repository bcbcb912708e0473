/**
 * The active question-answering loop as a library function (Zhang et al. 2017, "Mining Object
 * Parts from CNNs via Active Question-Answering", CVPR, https://arxiv.org/abs/1704.03173): initial
 * clicks, then up to `questions` questions put to an oracle callback (a person behind a UI, or the
 * simulated user of `oracle.ts`), refitting after each answer.
 */
import { LucernaError } from '../../errors.js';
import { throwIfCancelled } from '../../visualization/optimize.js';
import { QaSession } from './session.js';
import type { PartModel, QaAnswer, QaImage, QaOptions, QaQuestion } from './types.js';

/** Answers a question; may be asynchronous (a person, a worker round trip). */
export type QaOracle = (question: QaQuestion, session: QaSession) => QaAnswer | Promise<QaAnswer>;

/** An initial click (image px) on one of the session's images. */
export interface QaClick {
  readonly image: string;
  readonly x: number;
  readonly y: number;
}

/** One answered question. */
export interface QaStep {
  readonly question: QaQuestion;
  readonly answer: QaAnswer;
  /** The part model refitted after the answer. */
  readonly model: PartModel;
}

/** Options of {@link runActiveQa}. */
export interface ActiveQaOptions extends QaOptions {
  readonly images: readonly QaImage[];
  /** The user's initial clicks (1–3 in the studio; any number here, even none). */
  readonly initial: readonly QaClick[];
  /** Questions to ask at most (fewer when the images run out). */
  readonly questions: number;
  readonly oracle: QaOracle;
  /** Called after the initial clicks (with `step` null) and after every answer. */
  readonly onStep?: (step: QaStep | null, session: QaSession) => void | Promise<void>;
  readonly signal?: AbortSignal;
}

/**
 * Runs the loop and returns the session (its final model, its records) and the steps.
 *
 * @example
 * ```ts
 * const { session, steps } = await runActiveQa({
 *   images, inputSize: [64, 64], part: 'head',
 *   initial: [{ image: images[0].id, x: 40, y: 12 }],
 *   questions: 10,
 *   oracle: simulatedUser({ truth: (id) => heads.get(id), radius: 4 }),
 * });
 * session.model.units; // the committee after 10 answers
 * ```
 */
export async function runActiveQa(options: ActiveQaOptions): Promise<{ session: QaSession; steps: QaStep[] }> {
  const { images, initial, questions, oracle, onStep, signal, ...settings } = options;
  if (!Number.isInteger(questions) || questions < 0)
    throw new LucernaError('BAD_OPTION', `The number of questions must be a whole number ≥ 0, got ${questions}`);
  const session = new QaSession(images, settings);
  for (const c of initial) session.answer(c.image, { kind: 'here', x: c.x, y: c.y });
  await onStep?.(null, session);
  const steps: QaStep[] = [];
  for (let k = 0; k < questions; k++) {
    throwIfCancelled(signal);
    const question = session.next();
    if (!question) break;
    const answer = await oracle(question, session);
    throwIfCancelled(signal);
    const model = session.answer(question.image, answer);
    const step = { question, answer, model };
    steps.push(step);
    await onStep?.(step, session);
  }
  return { session, steps };
}
