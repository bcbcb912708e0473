/**
 * `serve` and `studio` end on SIGTERM with exit 0 through their own listener. That listener must be
 * in place before the URL is printed: a supervisor (or the smoke test) that reads the URL and sends
 * SIGTERM at once would otherwise meet Node's default action and the process would die by the
 * signal, with no exit code. The race is too narrow to hit on purpose in a process, so this checks
 * the order in-process: how many SIGTERM listeners exist at the moment the URL line is written.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { CommandContext } from '../../src/cli/command.js';
import { runServe, untilStopped } from '../../src/cli/commands/serve-run.js';
import { runStudio } from '../../src/cli/commands/studio-run.js';
import { StagedOutputs } from '../../src/io/write.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-sigterm-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A context whose stdout notes the SIGTERM listeners at each line, then stops the run. */
function recordingContext(): { ctx: CommandContext; listenersAtPrint: number[] } {
  const controller = new AbortController();
  const listenersAtPrint: number[] = [];
  const io = {
    stdout: () => {
      listenersAtPrint.push(process.listenerCount('SIGTERM'));
      controller.abort();
    },
    stderr: () => undefined,
    isTTY: false,
  };
  return { ctx: { io, signal: controller.signal, outputs: new StagedOutputs(), warn: () => undefined }, listenersAtPrint };
}

describe('the SIGTERM listener of long-running commands', () => {
  it('untilStopped listens for SIGTERM when it returns, resolves on it and stops listening', async () => {
    const before = process.listenerCount('SIGTERM');
    const stopped = untilStopped(new AbortController().signal);
    assert.equal(process.listenerCount('SIGTERM'), before + 1);
    for (const listener of process.listeners('SIGTERM').slice(before)) (listener as () => void)();
    await stopped;
    assert.equal(process.listenerCount('SIGTERM'), before);
  });

  it('serve listens for SIGTERM before it prints its URL', async () => {
    const before = process.listenerCount('SIGTERM');
    const { ctx, listenersAtPrint } = recordingContext();
    const result = await runServe(ctx, { root: [dir], port: '0' });
    assert.match(result.message, /stopped/);
    assert.deepEqual(listenersAtPrint, [before + 1]);
    assert.equal(process.listenerCount('SIGTERM'), before);
  });

  it('studio listens for SIGTERM before it prints its URL', async () => {
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>studio</title>');
    const before = process.listenerCount('SIGTERM');
    const { ctx, listenersAtPrint } = recordingContext();
    const result = await runStudio(ctx, undefined, { app: dir, port: '0' });
    assert.match(result.message, /stopped/);
    assert.deepEqual(listenersAtPrint, [before + 1]);
    assert.equal(process.listenerCount('SIGTERM'), before);
  });
});
