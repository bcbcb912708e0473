/**
 * Runs the `lucerna` CLI as a child process and checks its error contract.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(fileURLToPath(import.meta.url), '../../..');

// The CLI keeps compiled plans in the user's cache folder; tests keep theirs in a temporary one.
process.env.LUCERNA_CACHE_DIR ??= mkdtempSync(join(tmpdir(), 'lucerna-test-cache-'));
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
