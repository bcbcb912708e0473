/**
 * `lucerna serve` flag errors: one line, exit 1, before anything listens. A non-loopback `--host`
 * warns (checked on the server started in-process and cancelled like Ctrl-C: exit 130).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertOneLineError, lucerna, lucernaWith } from '../helpers/cli.js';

describe('lucerna serve flags', () => {
  it('refuses a bad --port, --cache-size or --root with one line', async () => {
    assertOneLineError(await lucerna('serve', '--port', 'abc'), 2, /--port/);
    assertOneLineError(await lucerna('serve', '--port', '70000'), 2, /--port must be at most 65535/);
    assertOneLineError(await lucerna('serve', '--cache-size', '0'), 2, /--cache-size/);
    assertOneLineError(await lucerna('serve', '--root', '/no/such/folder'), 1, /--root folder "\/no\/such\/folder" does not exist/);
  });

  it('warns when bound beyond loopback, and stops on Ctrl-C with exit 130', async () => {
    const controller = new AbortController();
    const running = lucernaWith({ signal: controller.signal }, 'serve', '--host', '0.0.0.0', '--port', '0');
    setImmediate(() => controller.abort());
    const run = await running;
    assert.equal(run.code, 130, run.stderr);
    assert.match(run.stderr, /warning: --host 0\.0\.0\.0: the server is reachable from other machines/);
  });
});
