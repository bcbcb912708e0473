/**
 * Timing helpers for the benchmark: warm-up, repeated runs, medians.
 */
import { performance } from 'node:perf_hooks';

/** Median of a list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * Runs `fn` `warmup` times untimed, then `reps` times, and returns the median milliseconds.
 *
 * @example
 * ```ts
 * const ms = await timeMedian(() => model.run(x), { reps: 20 });
 * ```
 */
export async function timeMedian(fn: () => Promise<unknown>, { warmup = 3, reps = 15, maxMs = 20000 } = {}): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    if (performance.now() - start > maxMs && times.length >= 3) break;
  }
  return median(times);
}

/** Formats milliseconds. */
export const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
/** Formats a ratio. */
export const ratio = (v: number): string => `${v.toFixed(2)}×`;
