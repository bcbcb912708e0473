/**
 * Start-up: `lucerna --help` and a command's `--help` (and so `--version`, which loads the same
 * modules) load none of the heavy
 * dependencies (ONNX Runtime, sharp, Observable Plot, linkedom); each command loads them inside its
 * run. Proven by logging every module the process loads.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { root } from '../helpers/cli.js';
import { oracleDir } from '../helpers/oracle.js';
import { tsImport } from '../helpers/ts-import.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-startup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const HEAVY = /node_modules\/(onnxruntime-node|onnxruntime-common|sharp|@observablehq\/plot|linkedom|@tensorflow)\//;

function loadedBy(args: string[], name: string): Promise<{ code: number; stdout: string; modules: string[] }> {
  const log = join(dir, `${name}.log`);
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', tsImport, '--import', join(root, 'test/helpers/import-log.mjs'), join(root, 'src/cli/main.ts'), ...args],
      { cwd: root, env: { ...process.env, LUCERNA_IMPORT_LOG: log } },
      (error, stdout) => {
        const modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
        done({ code: error ? Number(error.code) : 0, stdout, modules });
      },
    );
  });
}

describe('start-up loads nothing heavy', () => {
  for (const [name, args, expected] of [
    ['help', ['--help'], /attribute.*\n[\s\S]*evaluate/],
    ['attribute-help', ['attribute', '--help'], /--input <file>/],
  ] as const) {
    it(`lucerna ${args.join(' ')}`, async () => {
      const run = await loadedBy([...args], name);
      assert.equal(run.code, 0);
      assert.match(run.stdout, expected);
      assert.ok(
        run.modules.some((m) => m.endsWith('/src/cli/main.ts')),
        'the log works',
      );
      assert.deepEqual(
        run.modules.filter((m) => HEAVY.test(m)),
        [],
      );
    });
  }

  it('a command loads ONNX Runtime when it runs a model (the check can fail)', async () => {
    // ONNX Runtime loads at the first session (through require, which the log also records).
    const run = await loadedBy(['inspect', join(oracleDir, 'tiny_cnn/model.onnx'), '--json'], 'inspect');
    assert.equal(run.code, 0);
    assert.ok(run.modules.some((m) => /node_modules\/onnxruntime-node\//.test(m)));
  });
});
