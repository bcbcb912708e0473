/**
 * One subprocess smoke test per command: the real executable (bin/lucerna.js) runs each command
 * once on the tiny CNN, so exit codes, stdout and the lazily loaded implementations are proven
 * outside the test process. (Everything else about the commands is tested in-process; `attribute`'s
 * subprocess test is its Ctrl-C test in attribute-perturbation.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { assertOneLineError, bin, lucernaProcess, root } from '../helpers/cli.js';
import { oracleDir } from '../helpers/oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-smoke-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const model = join(oracleDir, 'tiny_cnn/model.onnx');
const coffee = join(root, 'assets/images/coffee.png');
const images = join(dir, 'images');
mkdirSync(images);
copyFileSync(coffee, join(images, 'coffee.png'));
const layer = '/relu1/Relu_output_0';

const cases: [string, string[], string[]][] = [
  ['inspect', ['inspect', model, '--json'], []],
  ['explain', ['explain', model, '--input', coffee, '--methods', 'grad-cam', '--out', join(dir, 'r.html')], ['r.html']],
  [
    'evaluate',
    ['evaluate', model, '--input', images, '--methods', 'saliency', '--metrics', 'deletion', '--curve-steps', '4', '--out', join(dir, 'e.html')],
    ['e.html', 'e.json', 'e.csv'],
  ],
  ['visualize', ['visualize', model, '--layer', layer, '--channels', '0', '--steps', '2', '--out', join(dir, 'vis')], ['vis/channel-0.png']],
  ['invert', ['invert', model, '--input', coffee, '--layer', layer, '--steps', '2', '--out', join(dir, 'inv.png')], ['inv.png']],
  ['top-patches', ['top-patches', model, '--input', images, '--layer', layer, '--k', '1', '--channels', '0', '--out', join(dir, 'tp')], ['tp/index.json']],
];

describe('every command runs as a process', { concurrency: true }, () => {
  for (const [name, args, files] of cases) {
    it(name, async () => {
      const run = await lucernaProcess(args);
      assert.equal(run.code, 0, run.stderr);
      assert.notEqual(run.stdout.trim(), '');
      for (const f of files) assert.ok(existsSync(join(dir, f)), f);
    });
  }

  it('serve (listens on loopback, answers /v1/health, Ctrl-C exits 130)', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--root', dir], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        const m = /listening on (http:\/\/\S+)/.exec(stdout);
        if (m) resolve(m[1] as string);
      });
      child.on('close', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = (await (await fetch(`${url}/v1/health`)).json()) as { ok: boolean };
    assert.equal(health.ok, true);
    const code = await new Promise<number | null>((resolve) => {
      child.on('close', resolve);
      child.kill('SIGINT');
    });
    assert.equal(code, 130, stderr);
  });

  it('convert (a missing model.json: one line, exit 1)', async () => {
    const run = await lucernaProcess(['convert', join(dir, 'missing.json'), join(dir, 'm.onnx')]);
    assertOneLineError(run, 1, /missing\.json/);
  });
});
