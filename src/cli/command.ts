/**
 * The shape of a CLI command: one file under `commands/` exports a {@link CommandSpec} made with
 * {@link defineCommand}: its arguments, its options (shared ones from `flags.ts`) and its `run`.
 * `run` loads the heavy parts (ONNX Runtime, sharp, the report kit) with `await import()`, so
 * `lucerna --help` and `--version` load none of them.
 *
 * The runner ({@link registerCommand}) gives every command the same behaviour:
 * - deprecated spellings of a flag still work and print one `note:` line on stderr;
 * - required options are checked after those spellings are folded in;
 * - the output path (`--out`) is checked before `run` starts: its extension, and that it can be written;
 * - files go through {@link StagedOutputs}: written beside their targets and renamed into place only
 *   when `run` succeeds, so a failed or cancelled run leaves nothing behind;
 * - Ctrl-C aborts `ctx.signal`; the command ends with exit code 130 and one line saying what was
 *   written, at most {@link INTERRUPT_GRACE_MS} later even when the work in progress does not stop;
 *   SIGTERM (`kill`, `timeout`, `docker stop`) and SIGHUP (a closed terminal) stop it the same way,
 *   with the shells' codes 143 and 129 ({@link STOP_SIGNALS});
 *   once the result is printed (or the error reported), Ctrl-C during the process's teardown ends
 *   it at once with the exit code it already has: a complete result exits 0, not 130;
 * - the result prints as `message`, or as JSON with `--json`.
 */
import { existsSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { LucernaError } from '../errors.js';
import { checkOutputPath, type OutputKind, StagedOutputs } from '../io/write.js';
import { checkOutputName } from './parse.js';

/** A positional argument: `<name>` (required) or `[name]` (optional). */
export interface ArgumentSpec {
  readonly name: string;
  readonly description: string;
}

/** One option, declared once: commander flags, help text, and old spellings kept as aliases. */
export interface OptionSpec {
  /** Commander flags, e.g. `--batch-size <n>` or `--json`. */
  readonly flags: string;
  readonly description: string;
  /** Checked after deprecated spellings are folded in (a usage error when missing). */
  readonly required?: boolean;
  /** Old spellings with the same value, e.g. `--image <file>`; each prints a note when used. */
  readonly deprecated?: readonly string[];
}

/** Where `--out` points: a file or a folder, and the default when it may be left out. */
export interface OutputSpec {
  readonly kind: OutputKind;
  /** The path used when `--out` is not given; without it, no `--out` means no file. */
  readonly default?: string;
  /** For a file: the extensions it may end in (lower case, with the dot), e.g. `['.html', '.htm']`. */
  readonly extensions?: readonly string[];
}

/** Writers for the command's text; tests capture them. */
export interface CommandIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress bars are drawn only then). */
  readonly isTTY: boolean;
  /** An outside cancellation (tests use it as Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Listen for SIGINT, SIGTERM and SIGHUP and, if the work does not stop in time, exit the process (the real CLI only). */
  readonly handleSigint?: boolean;
  /** `--debug`: also print a `debug:` line when the run starts (after Ctrl-C is handled). */
  readonly debug?: boolean;
}

/** What a command's `run` receives besides its arguments and flags. */
export interface CommandContext {
  readonly io: CommandIO;
  /** Aborted on Ctrl-C: pass it to every long call. */
  readonly signal: AbortSignal;
  /** Stage every output file here; they are renamed into place when `run` succeeds. */
  readonly outputs: StagedOutputs;
  /** Prints one `warning:` line on stderr. */
  warn(message: string): void;
}

/** What a command prints: `message` (human) or `json` (with `--json`). */
export interface CommandResult {
  readonly message: string;
  readonly json: unknown;
  /**
   * Set when the run stopped early on Ctrl-C but what it wrote is complete and meant to be kept
   * (a training checkpoint): the outputs are committed, the result printed, and the command ends
   * with exit code 130 and this one-line message.
   */
  readonly interrupted?: string;
}

/** The flags as commander parsed them (strings, booleans, string lists). */
export type Flags = Record<string, unknown>;

/**
 * One command: declaration plus run function.
 *
 * @example
 * ```ts
 * export const hello = defineCommand({
 *   name: 'hello',
 *   description: 'say hello',
 *   options: [flags.json()],
 *   run: async () => ({ message: 'hello', json: { hello: true } }),
 * });
 * ```
 */
export interface CommandSpec<F = Flags> {
  /** The command's words: `attack`, or `dataset parts` for a subcommand of the group `dataset`. */
  readonly name: string;
  readonly description: string;
  readonly arguments?: readonly ArgumentSpec[];
  readonly options: readonly OptionSpec[];
  /** Declared when the command writes to `--out`: checked before `run`. */
  readonly output?: OutputSpec;
  /** How long Ctrl-C may take to stop the work (default {@link INTERRUPT_GRACE_MS}). */
  readonly interruptGraceMs?: number;
  /** SIGTERM is this command's normal end (a server's stop: `run` returns, exit 0), not a cancellation. */
  readonly endsOnSigterm?: boolean;
  run(ctx: CommandContext, args: readonly (string | undefined)[], flags: F): Promise<CommandResult>;
}

/**
 * Types a command declaration (identity at run time).
 *
 * @example
 * ```ts
 * export default defineCommand<MyFlags>({ name: 'x', description: '…', options: [], run });
 * ```
 */
export function defineCommand<F>(spec: CommandSpec<F>): CommandSpec<F> {
  return spec;
}

/** How long a cancelled command may take to stop before the process exits anyway. */
export const INTERRUPT_GRACE_MS = 3000;

/**
 * A second SIGINT this soon after the first is the same Ctrl-C delivered twice, not a second press:
 * a signal sent to the process group (`timeout -s INT`, a script's `kill -INT -pgid`) reaches this
 * process and bin/lucerna.js's huge-pages parent, which passes it on when no stdio is a terminal.
 */
export const SIGINT_ECHO_MS = 500;

/**
 * The signals that cancel a run, each with the exit code shells give a process it ends (128 + its number).
 *
 * @example
 * ```ts
 * STOP_SIGNALS.SIGTERM; // 143
 * ```
 */
export const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/** A signal that cancels a run. */
export type StopSignal = keyof typeof STOP_SIGNALS;

/** The attribute name commander gives an option (`--batch-size <n>` → `batchSize`). */
function key(flags: string): string {
  return new Option(flags).attributeName();
}

function longName(flags: string): string {
  return new Option(flags).long ?? flags;
}

/** Folds deprecated spellings into the current flag (with a note) and checks required options. */
function normalizeFlags(spec: CommandSpec<Flags>, raw: Flags, io: CommandIO): Flags {
  const flags: Flags = { ...raw };
  for (const option of spec.options) {
    const name = key(option.flags);
    for (const old of option.deprecated ?? []) {
      const oldKey = key(old);
      if (flags[oldKey] === undefined) continue;
      io.stderr(`note: ${longName(old)} is deprecated; use ${longName(option.flags)}\n`);
      if (flags[name] === undefined) flags[name] = flags[oldKey];
      delete flags[oldKey];
    }
    if (option.required && flags[name] === undefined) {
      throw new LucernaError('BAD_OPTION', `required option '${option.flags}' not specified`, `Run lucerna ${spec.name} --help for usage`);
    }
  }
  return flags;
}

/** Makes ONNX Runtime for Node, with the disk compile cache, the engine's runtime (loaded here, not at start-up). */
async function useNodeRuntime(): Promise<void> {
  const [{ cliRuntime }, { setDefaultRuntime }] = await Promise.all([import('../engine/node-cache.js'), import('../engine/runtime.js')]);
  setDefaultRuntime(cliRuntime());
}

/** The one line printed when a run is cancelled. */
function interruptedLine(written: readonly string[]): string {
  return written.length === 0 ? 'interrupted: nothing was written\n' : `interrupted: wrote only ${written.join(', ')}\n`;
}

/**
 * Runs one command with the shared behaviour (see the module doc) and prints its result.
 *
 * @example
 * ```ts
 * await runCommand(spec, io, ['model.onnx'], { input: 'x.npy', out: 'a.npy' });
 * ```
 */
export async function runCommand(spec: CommandSpec<Flags>, io: CommandIO, args: readonly (string | undefined)[], raw: Flags): Promise<void> {
  const flags = normalizeFlags(spec, raw, io);
  if (spec.output) {
    const out = (flags.out as string | undefined) ?? spec.output.default;
    if (out !== undefined) {
      checkOutputPath(out, spec.output.kind, '--out');
      checkOutputName(out, spec.output.kind, spec.output.extensions, '--out', existsSync);
    }
  }
  await useNodeRuntime();
  const controller = new AbortController();
  const outputs = new StagedOutputs();
  const abort = () => controller.abort();
  io.signal?.addEventListener('abort', abort, { once: true });
  if (io.signal?.aborted) abort();
  let timer: NodeJS.Timeout | undefined;
  let finished = false;
  let firstSignal = Number.NEGATIVE_INFINITY;
  let stoppedBy: StopSignal = 'SIGINT';
  const onSignal = (signal: StopSignal) => {
    // The run is over and its outcome reported: only teardown is left, so end now with that outcome's code.
    if (finished) return process.exit();
    if (controller.signal.aborted) return performance.now() - firstSignal < SIGINT_ECHO_MS ? undefined : stopNow();
    firstSignal = performance.now();
    stoppedBy = signal;
    abort();
    timer = setTimeout(stopNow, spec.interruptGraceMs ?? INTERRUPT_GRACE_MS);
    timer.unref();
  };
  const stopNow = () => {
    outputs.discard();
    io.stderr(interruptedLine(outputs.written));
    process.exit(STOP_SIGNALS[stoppedBy]);
  };
  const signals = (Object.keys(STOP_SIGNALS) as StopSignal[]).filter((signal) => !(signal === 'SIGTERM' && spec.endsOnSigterm));
  if (io.handleSigint) for (const signal of signals) process.on(signal, () => onSignal(signal));
  if (io.debug) io.stderr(`debug: ${spec.name} running; Ctrl-C stops it\n`);
  const ctx: CommandContext = { io, signal: controller.signal, outputs, warn: (message) => io.stderr(`warning: ${message}\n`) };
  let interrupted: string | undefined;
  try {
    const result = await spec.run(ctx, args, flags);
    if (controller.signal.aborted && result.interrupted === undefined) throw new LucernaError('ABORTED', 'cancelled');
    await outputs.commit();
    io.stdout(flags.json ? `${JSON.stringify(result.json, null, 2)}\n` : `${result.message}\n`);
    interrupted = result.interrupted;
  } catch (e) {
    outputs.discard();
    if (controller.signal.aborted) throw stopped(new LucernaError('ABORTED', interruptedLine(outputs.written).replace(/^interrupted: |\n$/g, '')), stoppedBy);
    throw e;
  } finally {
    if (timer) clearTimeout(timer);
    // The handler stays (the real CLI runs one command per process): removing it would let a Ctrl-C
    // during teardown kill the process with SIGINT's 130 after a complete result.
    finished = true;
    io.signal?.removeEventListener('abort', abort);
  }
  if (interrupted !== undefined) throw stopped(new LucernaError('INTERRUPTED', interrupted), stoppedBy);
}

/** `error` with the exit code of the signal that stopped the run (read by `reportError`). */
function stopped(error: LucernaError, signal: StopSignal): LucernaError {
  return Object.assign(error, { exitCode: STOP_SIGNALS[signal] });
}

/**
 * A subcommand's flags, with those that commander gave to its parent command instead: when the
 * group is also a command (`dissect` and `dissect merge`), the flags both declare (`--out`,
 * `--json` …) are parsed by the parent. Only the subcommand's own options are taken from it.
 */
function withParentFlags(spec: CommandSpec<Flags>, own: Flags, parentFlags: Flags | undefined): Flags {
  if (!parentFlags) return own;
  const flags: Flags = { ...own };
  for (const option of spec.options) {
    for (const name of [option.flags, ...(option.deprecated ?? [])].map(key)) {
      if (flags[name] === undefined && parentFlags[name] !== undefined) flags[name] = parentFlags[name];
    }
  }
  return flags;
}

/**
 * The command `word` under `parent`: the one already registered, or a new one (a group, described
 * by `groups[path]` until a spec of that name gives it its own description and action).
 */
function child(parent: Command, word: string, path: string, groups: Readonly<Record<string, string>>): Command {
  return parent.commands.find((c) => c.name() === word) ?? parent.command(word).description(groups[path] ?? '');
}

/**
 * Adds a command to the program: its arguments, options (deprecated spellings hidden from help)
 * and an action that runs it through {@link runCommand}. A name of several words is a subcommand:
 * `dataset parts` goes under the group `dataset`, created on first use with its description from
 * `groups`. A group may also be a command itself (`dissect` and `dissect merge`).
 *
 * @example
 * ```ts
 * registerCommand(program, attributeCommand, io);
 * registerCommand(program, datasetPartsCommand, io, { dataset: 'generate data sets' });
 * ```
 */
export function registerCommand(program: Command, spec: CommandSpec<Flags>, io: CommandIO, groups: Readonly<Record<string, string>> = {}): Command {
  const words = spec.name.split(' ');
  let parent = program;
  for (const [i, word] of words.slice(0, -1).entries()) parent = child(parent, word, words.slice(0, i + 1).join(' '), groups);
  const command = child(parent, words[words.length - 1] as string, spec.name, groups).description(spec.description);
  for (const a of spec.arguments ?? []) command.argument(a.name, a.description);
  for (const o of spec.options) {
    // commander's help does not mark options that runCommand requires; say so in their line.
    command.addOption(new Option(o.flags, o.required ? `${o.description} (required)` : o.description));
    for (const old of o.deprecated ?? []) command.addOption(new Option(old, `deprecated: use ${longName(o.flags)}`).hideHelp());
  }
  command.action(async (...received: unknown[]) => {
    const count = spec.arguments?.length ?? 0;
    const args = received.slice(0, count) as (string | undefined)[];
    const own = received[count] as Flags;
    await runCommand(spec, io, args, withParentFlags(spec, own, parent === program ? undefined : parent.opts()));
  });
  return command;
}
