/**
 * Paired rounds for the training-step comparison with PyTorch (issue #13's speed goal): this VM's
 * speed drifts by ±20 % between minutes, so one reading of our process and one of PyTorch's, run one
 * after the other, carries that drift into their ratio. The `training` section therefore runs the
 * two processes in several rounds, alternating which goes first (ours–PyTorch, PyTorch–ours, …, so a
 * steady drift favours neither), takes each round's ratio from its two neighbouring readings, and
 * reports the median ratio with its range. Pure helpers; `training.ts` spawns the processes.
 */
import { table } from './report.js';
import { median, ms, ratio } from './timing.js';

/** Which process a round runs first. */
export type Side = 'ours' | 'torch';

/** One round's two readings (ms per training step, wall clock, each the median of its process's runs). */
export interface StepRound {
  readonly oursMs: number;
  readonly torchMs: number;
}

/** The per-round ratios (ours ÷ PyTorch) and their median and range. */
export interface RoundsSummary {
  readonly ratios: readonly number[];
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/**
 * The order of the two processes in round `round` (0-based): ours first in even rounds, PyTorch
 * first in odd ones (ABBA…), so that a drift in one direction over the rounds affects both sides alike.
 *
 * @example
 * ```ts
 * roundOrder(0); // ['ours', 'torch']
 * roundOrder(1); // ['torch', 'ours']
 * ```
 */
export function roundOrder(round: number): readonly [Side, Side] {
  return round % 2 === 0 ? ['ours', 'torch'] : ['torch', 'ours'];
}

/**
 * Runs `count` rounds: in each, both sides' readings in {@link roundOrder}'s order (`measure` times
 * one side once, e.g. in a fresh process), paired as one {@link StepRound}.
 *
 * @example
 * ```ts
 * const rounds = runRounds(5, (side) => (side === 'ours' ? runOursMulti() : runTorchStep()));
 * ```
 */
export function runRounds(count: number, measure: (side: Side, round: number) => number): StepRound[] {
  return Array.from({ length: count }, (_, round) => {
    const reading = new Map<Side, number>();
    for (const side of roundOrder(round)) reading.set(side, measure(side, round));
    return { oursMs: reading.get('ours') as number, torchMs: reading.get('torch') as number };
  });
}

/**
 * Each round's ratio of our step to PyTorch's, and their median, minimum and maximum.
 *
 * @example
 * ```ts
 * summarizeRounds([{ oursMs: 180, torchMs: 200 }, { oursMs: 240, torchMs: 240 }, { oursMs: 170, torchMs: 200 }]);
 * // { ratios: [0.9, 1, 0.85], median: 0.9, min: 0.85, max: 1 }
 * ```
 */
export function summarizeRounds(rounds: readonly StepRound[]): RoundsSummary {
  if (rounds.length === 0) throw new Error('summarizeRounds: no rounds');
  const ratios = rounds.map((r) => r.oursMs / r.torchMs);
  return { ratios, median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

/**
 * The per-round table (which process ran first, both readings, their ratio) and a closing line
 * with the median ratio and its range.
 *
 * @example
 * ```ts
 * roundsTable([{ oursMs: 180, torchMs: 200 }, { oursMs: 240, torchMs: 240 }]);
 * // | round | first | ours (ms per step) | PyTorch (ms per step) | ours ÷ PyTorch | … then "| median | | 210 | 220 | 0.95× (0.90–1.00×) |"
 * ```
 */
export function roundsTable(rounds: readonly StepRound[]): string {
  const s = summarizeRounds(rounds);
  const rows = rounds.map((r, i) => [
    String(i + 1),
    roundOrder(i)[0] === 'ours' ? 'ours' : 'PyTorch',
    ms(r.oursMs),
    ms(r.torchMs),
    ratio(s.ratios[i] as number),
  ]);
  rows.push([
    'median',
    '',
    ms(median(rounds.map((r) => r.oursMs))),
    ms(median(rounds.map((r) => r.torchMs))),
    `${ratio(s.median)} (${s.min.toFixed(2)}–${ratio(s.max)})`,
  ]);
  return table(['round', 'first', 'ours (ms per step)', 'PyTorch (ms per step)', 'ours ÷ PyTorch'], rows);
}
