/**
 * Progress bars for long CLI runs. A bar (with an ETA) is shown only on a TTY and not in JSON mode.
 * (Ctrl-C is the command runner's, in `command.ts`.)
 */
import cliProgress from 'cli-progress';

/** A progress callback plus a way to close the bar. */
export interface ProgressReporter {
  readonly onProgress?: (done: number, total: number) => void;
  stop(): void;
}

/**
 * A progress reporter on stderr, or a silent one when `enabled` is false or stderr is no TTY.
 *
 * @example
 * ```ts
 * const progress = progressBar('occlusion', !flags.json);
 * await method.attribute(model, x, { onProgress: progress.onProgress });
 * progress.stop();
 * ```
 */
export function progressBar(label: string, enabled: boolean): ProgressReporter {
  if (!enabled || !process.stderr.isTTY) return { stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress(done, total) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
