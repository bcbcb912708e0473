/**
 * `lucerna studio` flags: one-line errors before anything listens, a warning beyond loopback, and
 * Ctrl-C stops it with exit 130 (in-process, the signal standing in for Ctrl-C).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { assertOneLineError, lucerna, lucernaWith } from '../helpers/cli.js';
import { oracleDir } from '../helpers/oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-studio-cli-'));
const app = join(dir, 'app');
mkdirSync(app);
writeFileSync(join(app, 'index.html'), '<!doctype html>');
const model = join(oracleDir, 'tiny_cnn/model.onnx');
after(() => rmSync(dir, { recursive: true, force: true }));

describe('lucerna studio flags', () => {
  it('refuses bad flags and missing paths with one line', async () => {
    assertOneLineError(await lucerna('studio', model, '--port', 'abc'), 2, /--port/);
    assertOneLineError(await lucerna('studio', model, '--port', '70000'), 2, /--port must be at most 65535/);
    assertOneLineError(await lucerna('studio', model, '--max-upload', '0', '--app', app), 2, /--max-upload/);
    assertOneLineError(await lucerna('studio', model, '--app', app, '--dataset', join(dir, 'none')), 1, /--dataset folder ".*none" does not exist/);
    assertOneLineError(await lucerna('studio', model, '--app', app, '--dataset', model), 2, /is a file, not a folder/);
    assertOneLineError(await lucerna('studio', join(dir, 'no.onnx'), '--app', app), 1, /the model ".*no\.onnx" does not exist/);
    assertOneLineError(await lucerna('studio', model, '--app', dir), 1, /has no index\.html/);
  });

  it('warns when bound beyond loopback, and stops on Ctrl-C with exit 130', async () => {
    const controller = new AbortController();
    const running = lucernaWith({ signal: controller.signal }, 'studio', model, '--app', app, '--host', '0.0.0.0', '--port', '0');
    setImmediate(() => controller.abort());
    const run = await running;
    assert.equal(run.code, 130, run.stderr);
    assert.match(run.stderr, /warning: --host 0\.0\.0\.0: the studio is reachable from other machines/);
  });
});
