/**
 * Ctrl-C after a command has printed its result, while the process is still tearing down (open
 * handles, sessions being released): the result is complete, so the process ends at once with the
 * code it already has (0 for a result, 1 for a reported error), not killed by SIGINT (130).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tsImport } from '../helpers/ts-import.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');

/**
 * Runs one command through the real runner (Ctrl-C handled as in the CLI) in a child process; its
 * `run` leaves a 30 s timer behind (the teardown), then succeeds or fails. SIGINT is sent when the
 * outcome has been printed; resolves with how the child ended.
 */
function interruptTeardown(fail: boolean): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const script = `
    import { runCommand } from './src/cli/command.ts';
    import { runCli } from './src/cli/errors.ts';
    import { LucernaError } from './src/errors.ts';
    const io = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), isTTY: false, handleSigint: true };
    const spec = { name: 't', description: 't', options: [], run: async () => {
      setTimeout(() => {}, 30000);
      if (${fail}) throw new LucernaError('BAD_FILE', 'broken input');
      return { message: 'result complete', json: {} };
    } };
    process.exitCode = await runCli(() => runCommand(spec, io, [], {}), { debug: false });
    process.stdout.write('ended\\n');`;
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', tsImport, '--input-type=module', '-e', script], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('ended\n')) child.kill('SIGINT');
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

describe('Ctrl-C during teardown', () => {
  it('keeps exit code 0 after a complete result, and 1 after a reported error', async () => {
    const [ok, failed] = await Promise.all([interruptTeardown(false), interruptTeardown(true)]);
    assert.equal(ok.signal, null, `ended by ${ok.signal}; stderr: ${ok.stderr}`);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^result complete\n/);
    assert.doesNotMatch(ok.stderr, /interrupted/);
    assert.equal(failed.signal, null, `ended by ${failed.signal}; stderr: ${failed.stderr}`);
    assert.equal(failed.code, 1);
    assert.equal(failed.stderr, 'error: broken input\n');
  });
});
