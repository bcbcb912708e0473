/**
 * How the CLI reports failures: a {@link LucernaError} is one line on stderr (`error: <message>. <hint>`),
 * exit code 1, or 2 for a usage error; anything else is an internal error, also on one line. Stack
 * traces appear only with `--debug`.
 */
import { CommanderError } from 'commander';
import { isLucernaError, type LucernaError } from '../errors.js';

/**
 * Exit codes of the CLI (130 = stopped by Ctrl-C, as shells report SIGINT).
 *
 * @example
 * ```ts
 * process.exitCode = ExitCode.usage; // 2
 * ```
 */
export const ExitCode = { ok: 0, error: 1, usage: 2, interrupted: 130 } as const;

/** Where error lines go (stderr by default; tests pass their own). */
export type ErrorWriter = (text: string) => void;

const writeStderr: ErrorWriter = (text) => {
  process.stderr.write(text);
};

/** Collapses whitespace runs and newlines so a message stays on one line. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * The line printed for a Lucerna error: `error: <message>. <hint>`.
 *
 * @example
 * ```ts
 * formatLucernaError(new LucernaError('FILE_NOT_FOUND', 'Cannot find the model: m.onnx', 'Check the path'));
 * // 'error: Cannot find the model: m.onnx. Check the path'
 * ```
 */
export function formatLucernaError(e: LucernaError): string {
  const message = oneLine(e.message).replace(/\.$/, '');
  return e.hint ? `error: ${message}. ${oneLine(e.hint)}` : `error: ${message}`;
}

/**
 * Turns commander's own error text (it may span lines) into one line with a pointer to --help.
 *
 * @example
 * ```ts
 * formatUsageError("error: missing required argument 'model'\n"); // "error: missing required argument 'model'. Run with --help for usage\n"
 * ```
 */
export function formatUsageError(text: string): string {
  const line = oneLine(text);
  return `${line.startsWith('error:') ? line : `error: ${line}`}. Run with --help for usage\n`;
}

/**
 * Prints `e` as the CLI shows it and returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = reportError(e, { debug: false });
 * ```
 */
export function reportError(e: unknown, options: { debug: boolean; write?: ErrorWriter }): number {
  const write = options.write ?? writeStderr;
  if (e instanceof CommanderError) {
    // commander has printed its message already (through formatUsageError); help and --version exit 0.
    return e.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (isLucernaError(e, 'ABORTED') || isLucernaError(e, 'INTERRUPTED')) {
    // Ctrl-C: one line that says what was written, the same prefix for every command.
    write(`interrupted: ${oneLine(e.message)}\n`);
    // SIGTERM and SIGHUP stop a run as Ctrl-C does; the runner notes which one (143, 129).
    return (e as { exitCode?: number }).exitCode ?? ExitCode.interrupted;
  }
  if (isLucernaError(e)) {
    write(`${formatLucernaError(e)}\n`);
    if (options.debug && e.stack) write(`${e.stack}\n`);
    return e.code === 'BAD_OPTION' ? ExitCode.usage : ExitCode.error;
  }
  const message = oneLine(String((e as Error)?.message ?? e)) || 'unknown failure';
  if (options.debug) {
    write(`internal error: ${message}\n${(e as Error)?.stack ?? ''}\n`);
  } else {
    write(`internal error: ${message}. Run with --debug for the stack\n`);
  }
  return ExitCode.error;
}

/**
 * Runs one CLI invocation and returns its exit code; never throws.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(() => program.parseAsync(argv), { debug: argv.includes('--debug') });
 * ```
 */
export async function runCli(action: () => Promise<unknown>, options: { debug: boolean; write?: ErrorWriter }): Promise<number> {
  try {
    await action();
    return ExitCode.ok;
  } catch (e) {
    return reportError(e, options);
  }
}
