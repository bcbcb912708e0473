/**
 * `--out` names checked before any work, by the runner from each command's `output` declaration:
 * a file output with the wrong extension, or a folder output named like a file, is one
 * `BAD_OPTION` line (exit 2) and nothing is written or loaded. A folder that already exists under
 * such a name is taken as the user's choice.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkOutputName } from '../../src/cli/parse.js';
import { isLucernaError } from '../../src/errors.js';
import { assertOneLineError, lucerna } from '../helpers/cli.js';

const dir = await mkdtemp(join(tmpdir(), 'lucerna-out-name-'));
after(() => rm(dir, { recursive: true, force: true }));

describe('--out names', () => {
  const cases: [string, string[], RegExp][] = [
    ['explain', ['explain', '--out', join(dir, 'report.png')], /--out must end in \.html or \.htm, got ".*report\.png"/],
    ['model create', ['model', 'create', 'small-cnn', '--classes', '3', '--input', '3x16x16', '--out', join(dir, 'm.txt')], /--out must end in \.onnx/],
    [
      'visualize',
      ['visualize', 'bundled', '--layer', 'out_relu', '--channels', '3', '--out', join(dir, 'vis.png')],
      /--out names a folder to write into, got ".*vis\.png", a \.png file name/,
    ],
    ['train', ['train', 'bundled', '--inputs', 'x.npy', '--labels', 'y.npy', '--out', join(dir, 't.pt')], /--out must end in \.onnx/],
    [
      'evaluate',
      ['evaluate', 'bundled', '--input', dir, '--methods', 'saliency', '--metrics', 'deletion', '--out', join(dir, 'e.json')],
      /--out must end in \.html or \.htm/,
    ],
  ];
  for (const [name, args, pattern] of cases) {
    it(`${name}: a wrong --out name is one BAD_OPTION line, before any work`, async () => {
      assertOneLineError(await lucerna(...args), 2, pattern);
      assert.deepEqual(readdirSync(dir), [], 'nothing written');
    });
  }

  it('a folder output that exists under a file-like name is accepted', () => {
    const existing = join(dir, 'old.json');
    mkdirSync(existing);
    try {
      assert.doesNotThrow(() => checkOutputName(existing, 'folder', undefined, '--out', existsSync));
      assert.throws(
        () => checkOutputName(join(dir, 'new.json'), 'folder', undefined, '--out', existsSync),
        (e: unknown) => isLucernaError(e, 'BAD_OPTION'),
      );
    } finally {
      rmSync(existing, { recursive: true });
    }
  });

  it('the right extension, any case, and plain folder names pass', () => {
    checkOutputName('a/Report.HTML', 'file', ['.html', '.htm'], '--out');
    checkOutputName('m.onnx', 'file', ['.onnx'], '--out');
    checkOutputName('vis/', 'folder', undefined, '--out');
    checkOutputName('run.v2', 'folder', undefined, '--out');
    checkOutputName('anything.bin', 'file', undefined, '--out');
  });
});
