/**
 * Ctrl-C while a command cleans up: one Ctrl-C delivered twice (to the process group and passed on
 * by bin/lucerna.js's huge-pages parent, as `timeout -s INT` does) must not cut the command's own
 * cleanup short, and a staging folder the command named is removed even when its cleanup outlasts
 * the grace period. Either way the run ends with 130 and "nothing was written", and nothing is left.
 * SIGTERM and SIGHUP stop a run the same way, with 143 and 129.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tsImport } from '../helpers/ts-import.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const work = mkdtempSync(join(tmpdir(), 'lucerna-sigint-cleanup-'));
after(() => rmSync(work, { recursive: true, force: true }));

/**
 * Runs one command through the real runner in a child process. Its `run` makes `folder` and waits
 * for Ctrl-C; then, with `slowCleanup`, removes the folder after 400 ms (its own cleanup, well within
 * the 3 s grace) and rejects; without, never ends (only the runner's grace period, 300 ms here, stops it). `sigints` SIGINTs are
 * sent 10 ms apart once the folder exists.
 */
function interrupt(folder: string, options: { slowCleanup: boolean; sigints: number; signal?: NodeJS.Signals }) {
  const script = `
    import { mkdirSync, rmSync } from 'node:fs';
    import { runCommand } from './src/cli/command.ts';
    import { runCli } from './src/cli/errors.ts';
    const io = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), isTTY: false, handleSigint: true };
    const folder = ${JSON.stringify(folder)};
    const spec = { name: 't', description: 't', options: [], interruptGraceMs: ${options.slowCleanup ? 3000 : 300}, run: async (ctx) => {
      ctx.outputs.stagingFolder(folder);
      const alive = setInterval(() => {}, 1000);
      mkdirSync(folder);
      process.stdout.write('started\\n');
      await new Promise((go) => ctx.signal.addEventListener('abort', go));
      if (!${options.slowCleanup}) await new Promise(() => {});
      await new Promise((go) => setTimeout(go, 400));
      rmSync(folder, { recursive: true });
      process.stdout.write('cleaned\\n');
      clearInterval(alive);
      throw new Error('cancelled');
    } };
    process.exitCode = await runCli(() => runCommand(spec, io, [], {}), { debug: false });`;
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, ['--import', tsImport, '--input-type=module', '-e', script], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout === 'started\n') for (let i = 0; i < options.sigints; i++) setTimeout(() => child.kill(options.signal ?? 'SIGINT'), 10 * i);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('Ctrl-C during a command’s cleanup', () => {
  it('takes one Ctrl-C delivered twice as one: the cleanup runs to its end', async () => {
    const folder = join(work, 'echo');
    const run = await interrupt(folder, { slowCleanup: true, sigints: 2 });
    assert.equal(run.code, 130, run.stderr);
    assert.match(run.stdout, /cleaned/);
    assert.equal(run.stderr, 'interrupted: nothing was written\n');
    assert.equal(existsSync(folder), false);
  });

  it('removes a named staging folder when the grace period ends the run', async () => {
    const folder = join(work, 'grace');
    const run = await interrupt(folder, { slowCleanup: false, sigints: 1 });
    assert.equal(run.code, 130, run.stderr);
    assert.equal(run.stderr, 'interrupted: nothing was written\n');
    assert.equal(existsSync(folder), false);
  });

  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`stops on ${signal} as on Ctrl-C: the cleanup runs, nothing is left, exit code ${code}`, async () => {
      const folder = join(work, signal);
      const run = await interrupt(folder, { slowCleanup: true, sigints: 1, signal });
      assert.equal(run.code, code, run.stderr);
      assert.match(run.stdout, /cleaned/);
      assert.equal(run.stderr, 'interrupted: nothing was written\n');
      assert.equal(existsSync(folder), false);
    });
  }

  it('ends a SIGTERM run whose work does not stop after the grace period, with 143', async () => {
    const folder = join(work, 'term-grace');
    const run = await interrupt(folder, { slowCleanup: false, sigints: 1, signal: 'SIGTERM' });
    assert.equal(run.code, 143, run.stderr);
    assert.equal(run.stderr, 'interrupted: nothing was written\n');
    assert.equal(existsSync(folder), false);
  });
});
