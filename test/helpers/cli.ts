/**
 * Runs the `lucerna` CLI as a child process and checks its error contract.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(fileURLToPath(import.meta.url), '../../..');
export const bin = join(root, 'bin/lucerna.js');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI from the sources (never a stale dist/ build). */
export function lucerna(...args: string[]): Promise<CliRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: root, env: { ...process.env, LUCERNA_FROM_SOURCE: '1' }, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
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
 * Runs the CLI in-process through `main(argv)` (fast: no child process) and returns its exit code
 * and what it wrote to stderr; stdout passes through.
 */
export async function lucernaInProcess(...args: string[]): Promise<{ code: number; stderr: string }> {
  const { main } = await import('../../src/cli/main.js');
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(['node', 'lucerna', ...args]), stderr };
  } finally {
    process.stderr.write = write;
  }
}
