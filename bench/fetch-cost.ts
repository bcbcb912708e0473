/**
 * What fetching the carried state into JavaScript costs per training step, measured without ORT's
 * profiler (the profile's "run() − model_run" row also holds the profiler's own per-run work): one
 * multi-step session of the issue's case, its runs alternating between fetching every output (the
 * new weights, momentum buffers and running statistics: what `lucerna train` fetches) and fetching
 * only the per-step outputs (loss and logits). ORT computes the same graph either way; the
 * difference is the binding's work on the carried outputs (a fresh zero-filled JS buffer and a copy
 * per output, and the garbage collection they bring), spread over the run's steps. Each round takes
 * one run of each kind, alternating which goes first; the cost is the median of the per-round
 * differences, so a load that drifts between rounds hits both readings of a round alike.
 * Used by `train-step.ts` (the bench's `training` section).
 */
import { createRequire } from 'node:module';
import { issueStep, stepFeeds } from './step-profile.js';
import { median } from './timing.js';

/** One run's wall and process-CPU milliseconds. */
export interface RunReading {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** One round: a run fetching everything and one fetching only the per-step outputs. */
export interface FetchRound {
  readonly all: RunReading;
  readonly perStepOnly: RunReading;
}

/** The fetch cost per step (ms), wall and CPU, and how it was measured. */
export interface FetchCost {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly perRun: number;
  readonly rounds: number;
}

/**
 * The fetch cost per step: the median over rounds of each round's (all − per-step-only) difference,
 * divided by the steps per run (not the difference of the two medians: see the file comment).
 *
 * @example
 * ```ts
 * fetchCostPerStep([{ all: { wallMs: 1300, cpuMs: 2400 }, perStepOnly: { wallMs: 1240, cpuMs: 2340 } }], 6); // { wallMs: 10, cpuMs: 10, perRun: 6, rounds: 1 }
 * ```
 */
export function fetchCostPerStep(rounds: readonly FetchRound[], perRun: number): FetchCost {
  const diff = (key: keyof RunReading) => median(rounds.map((r) => r.all[key] - r.perStepOnly[key])) / perRun;
  return { wallMs: diff('wallMs'), cpuMs: diff('cpuMs'), perRun, rounds: rounds.length };
}

/**
 * The sentence the section prints on the fetch cost, or nothing without a reading.
 *
 * @example
 * ```ts
 * fetchSentence({ wallMs: 9.5, cpuMs: 11, perRun: 6, rounds: 5 }); // ' Fetching the carried state … 9.50 ms per step …'
 * ```
 */
export function fetchSentence(f: FetchCost | undefined): string {
  if (!f) return '';
  return ` Fetching the carried state into JS, measured without the profiler (${f.rounds} rounds of ${f.perRun}-step runs in one session, fetching every output vs only loss and logits, alternating; median of the per-round differences): ${f.wallMs.toFixed(2)} ms per step (${f.cpuMs.toFixed(2)} ms CPU); the table's binding row also holds the profiler's own per-run work.`;
}

/**
 * Measures the fetch cost of the issue's case (see the file comment) after one warm-up run of each kind.
 *
 * @example
 * ```ts
 * const f = await timeCarriedFetch(32, 2, 6, 5); // f.wallMs: ms per step
 * ```
 */
export async function timeCarriedFetch(batch: number, threads: number, perRun: number, rounds: number): Promise<FetchCost> {
  const { source, step } = await issueStep(batch);
  const { feeds: raw, carried, bytes } = stepFeeds(step, source, batch, perRun);
  const ort = createRequire(import.meta.url)('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  try {
    const feeds = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)]));
    const carriedOut = new Set(carried.map((c) => c.output));
    const perStep = (session.outputNames as string[]).filter((n) => !carriedOut.has(n));
    const run = async (all: boolean): Promise<RunReading> => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await (all ? session.run(feeds) : session.run(feeds, perStep));
      const c = process.cpuUsage(c0);
      return { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
    };
    await run(true);
    await run(false);
    const readings: FetchRound[] = [];
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        const all = await run(true);
        readings.push({ all, perStepOnly: await run(false) });
      } else {
        const perStepOnly = await run(false);
        readings.push({ all: await run(true), perStepOnly });
      }
    }
    return fetchCostPerStep(readings, perRun);
  } finally {
    await session.release();
  }
}
