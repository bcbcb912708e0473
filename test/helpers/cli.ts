/**
 * Runs the `lucerna` CLI for tests: in-process through `main(argv)` with captured stdio (fast; the
 * default), or as a child process for the few smoke tests that prove the executable, its exit
 * codes and Ctrl-C.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';

export const root = resolve(fileURLToPath(import.meta.url), '../../..');

// The CLI keeps compiled plans in the user's cache folder; tests keep theirs in a temporary one.
// npm test's runner makes (and removes) one for the whole run; a file run alone makes its own and
// removes it when its process exits.
if (process.env.LUCERNA_CACHE_DIR === undefined) {
  const own = mkdtempSync(join(tmpdir(), 'lucerna-test-cache-'));
  process.env.LUCERNA_CACHE_DIR = own;
  process.on('exit', () => rmSync(own, { recursive: true, force: true }));
}
export const bin = join(root, 'bin/lucerna.js');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the CLI in this process on `args` and captures what it prints. `signal` stands in for Ctrl-C.
 *
 * @example
 * ```ts
 * const run = await lucerna('inspect', model, '--json');
 * ```
 */
export async function lucerna(...args: string[]): Promise<CliRun> {
  return lucernaWith({}, ...args);
}

/**
 * {@link lucerna} with a cancellation signal (aborting it is Ctrl-C for the command).
 *
 * @example
 * ```ts
 * const run = await lucernaWith({ signal: AbortSignal.timeout(200) }, 'explain', '--out', 'r.html');
 * ```
 */
export async function lucernaWith(options: { signal?: AbortSignal }, ...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'lucerna', ...args], {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    isTTY: false,
    signal: options.signal,
  });
  return { code, stdout, stderr };
}

/**
 * Runs the CLI as a child process from the sources (never a stale dist/ build). With
 * `interruptAfterMs` it sends SIGINT that long after the command's run has started (pass `--debug`,
 * which prints `debug: <command> running` then) and reports `ms` from the SIGINT to the exit.
 *
 * @example
 * ```ts
 * const run = await lucernaProcess(['--version']);
 * ```
 */
export function lucernaProcess(args: readonly string[], options: { interruptAfterMs?: number } = {}): Promise<CliRun & { ms: number }> {
  return new Promise((done) => {
    const t0 = performance.now();
    if (options.interruptAfterMs === undefined) {
      execFile(process.execPath, [bin, ...args], { cwd: root, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, stdout, stderr, ms: performance.now() - t0 });
      });
      return;
    }
    const child = spawn(process.execPath, [bin, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    let interruptedAt = 0;
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    let timer: NodeJS.Timeout | undefined;
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!timer && /debug: \S+ running/.test(stderr)) {
        timer = setTimeout(() => {
          interruptedAt = performance.now();
          child.kill('SIGINT');
        }, options.interruptAfterMs);
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code: code ?? (signal ? 128 : -1), stdout, stderr, ms: performance.now() - (interruptedAt || t0) });
    });
  });
}

/** Non-empty stderr lines. */
export function stderrLines(run: CliRun): string[] {
  return run.stderr.split('\n').filter((l) => l.length > 0);
}

/** Exactly one `error: …` line on stderr, nothing on stdout, no stack frames. */
export function assertOneLineError(run: CliRun, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, `exit code (stderr: ${run.stderr})`);
  const lines = stderrLines(run);
  assert.equal(lines.length, 1, `one stderr line, got:\n${run.stderr}`);
  assert.match(lines[0] as string, /^error: /);
  assert.match(lines[0] as string, pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
  assert.equal(run.stdout, '');
}

/**
 * Flags given as an object, as command-line words: `{ batchSize: '8', json: true }` →
 * `['--batch-size', '8', '--json']` (false and undefined are left out).
 *
 * @example
 * ```ts
 * await lucerna('dissect', model, ...flagArgs({ dataset: 'set', layer: 'relu' }));
 * ```
 */
export function flagArgs(flags: Readonly<Record<string, string | boolean | undefined>>): string[] {
  return Object.entries(flags).flatMap(([k, v]) => {
    const flag = `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    return v === undefined || v === false ? [] : v === true ? [flag] : [flag, v];
  });
}

/**
 * Runs a command in-process with `--json`, asserts it succeeded, and returns its JSON output.
 *
 * @example
 * ```ts
 * const summary = await lucernaJson('dataset', 'concepts', '--out', dir, '--n', '6');
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: each test reads the fields of its command's JSON
export async function lucernaJson(...args: string[]): Promise<any> {
  const run = await lucerna(...args, '--json');
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}
