/**
 * Feedback for `lucerna evaluate`: a progress bar over images × methods on a terminal
 * (cli-progress, on stderr), quiet otherwise, with warnings printed above the bar. Ctrl-C is
 * handled by the command runner (`../command.ts`).
 */
import cliProgress from 'cli-progress';

/** What a run reports to the user. */
export interface RunFeedback {
  /** Advances the bar by one unit, showing `label`. */
  tick(label: string): void;
  /** Shows `label` without advancing. */
  show(label: string): void;
  /** Prints one `warning: …` line (above the bar when there is one). */
  warn(text: string): void;
  /** Removes the bar. */
  stop(): void;
}

/**
 * A progress bar of `total` units when `enabled` (a TTY and no --json), else a silent feedback
 * that still prints warnings.
 *
 * @example
 * ```ts
 * const feedback = runFeedback(process.stderr.isTTY && !flags.json, images * methods);
 * ```
 */
export function runFeedback(enabled: boolean, total: number, stderr: (text: string) => void = (t) => process.stderr.write(t)): RunFeedback {
  if (!enabled) {
    return {
      tick: () => undefined,
      show: () => undefined,
      warn: (text) => stderr(`warning: ${text}\n`),
      stop: () => undefined,
    };
  }
  const bars = new cliProgress.MultiBar(
    { format: 'evaluate [{bar}] {value}/{total} | {eta_formatted} | {label}', hideCursor: true, clearOnComplete: true, etaBuffer: 8 },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(total, 0, { label: '' });
  let done = 0;
  return {
    tick: (label) => bar.update(++done, { label }),
    show: (label) => bar.update(done, { label }),
    warn: (text) => bars.log(`warning: ${text}\n`),
    stop: () => bars.stop(),
  };
}
