/**
 * One subprocess smoke test per command: the real executable (bin/lucerna.js) runs each command
 * once on the tiny CNN, so exit codes, stdout and the lazily loaded implementations are proven
 * outside the test process. (Everything else about the commands is tested in-process; `attribute`'s
 * subprocess test is its Ctrl-C test in attribute-perturbation.test.ts.)
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writePartsDataset } from '../../src/datasets/node/parts-writer.js';
import { assertOneLineError, lucernaProcess, root } from '../helpers/cli.js';
import { oracleDir } from '../helpers/oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-smoke-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const model = join(oracleDir, 'tiny_cnn/model.onnx');
const coffee = join(root, 'assets/images/coffee.png');
const images = join(dir, 'images');
mkdirSync(images);
copyFileSync(coffee, join(images, 'coffee.png'));
const layer = '/relu1/Relu_output_0';
const parts = join(dir, 'parts-in');
before(() => writePartsDataset(parts, { n: 4, seed: 1, size: 16 }));

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
  ['attack', ['attack', model, '--input', coffee, '--method', 'fgsm', '--epsilon', '0.01', '--out', join(dir, 'adv.png')], ['adv.png']],
  ['dataset parts', ['dataset', 'parts', '--out', join(dir, 'parts'), '--n', '3', '--seed', '1', '--size', '16'], ['parts/index.csv', 'parts/landmarks.csv']],
  ['stability', ['stability', model, '--dataset', parts, '--layer', layer, '--out', join(dir, 'stab')], ['stab/filters.csv', 'stab/report.html']],
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

  it('convert (a missing model.json: one line, exit 1)', async () => {
    const run = await lucernaProcess(['convert', join(dir, 'missing.json'), join(dir, 'm.onnx')]);
    assertOneLineError(run, 1, /missing\.json/);
  });
});
