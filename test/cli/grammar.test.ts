/**
 * The one CLI grammar, in-process: the bundled model by default or as `bundled`, class labels as
 * `--target`, old flag spellings as aliases with a note, required options, output paths checked
 * before any work (defect 1: `--out` under /proc hung at 100% CPU), atomic replacement of an
 * existing output, and cancellation (exit 130, one line, nothing written).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { serializeNpy } from '../../src/io/npy.js';
import { writeFileAtomic } from '../../src/io/write.js';
import { assertOneLineError, lucerna, lucernaWith, root } from '../helpers/cli.js';
import { caseInput, oracle, oracleDir } from '../helpers/oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-grammar-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const c = oracle().cases.find((k) => k.id === 'tiny_cnn/noise')!;
const model = join(oracleDir, c.onnx);
const inputNpy = join(dir, 'input.npy');
writeFileSync(inputNpy, serializeNpy(caseInput(c)));
const coffee = join(root, 'assets/images/coffee.png');
const plainFile = join(dir, 'plain-file');
writeFileSync(plainFile, 'not a folder');

describe('output paths are checked before any work', () => {
  it('--out under a missing /proc path fails at once with one line (defect 1: it hung)', { timeout: 30_000 }, async () => {
    const run = await lucerna('attribute', model, '--input', inputNpy, '--method', 'saliency', '--out', '/proc/lucerna-missing/a/b.npy');
    assertOneLineError(run, 1, /Cannot write \/proc\/lucerna-missing\/a\/b\.npy: \/proc is a virtual file system/);
  });

  it('writeFileAtomic refuses /proc and /sys instead of looping in mkdir', { timeout: 30_000 }, async () => {
    await assert.rejects(writeFileAtomic('/proc/lucerna-missing/x/y.txt', 'x'), /virtual file system/);
    await assert.rejects(writeFileAtomic('/sys/lucerna-missing/y.txt', 'x'), /virtual file system/);
  });

  it('--out under a regular file fails before the model is even read', async () => {
    const run = await lucerna('attribute', join(dir, 'missing.onnx'), '--input', inputNpy, '--method', 'saliency', '--out', join(plainFile, 'sub', 'a.npy'));
    assertOneLineError(run, 1, /plain-file is a file, not a folder/);
  });

  it('an output folder that is a file is a usage error (visualize)', async () => {
    const run = await lucerna('visualize', model, '--layer', 'relu1', '--channels', '0', '--steps', '2', '--out', plainFile);
    assertOneLineError(run, 2, /--out .*plain-file is a file/);
  });

  it('an existing output is replaced atomically, with no temporary left beside it', async () => {
    const folder = join(dir, 'rerun');
    const out = join(folder, 'a.npy');
    for (let i = 0; i < 2; i++) {
      const run = await lucerna('attribute', model, '--input', inputNpy, '--method', 'saliency', '--out', out);
      assert.equal(run.code, 0, run.stderr);
    }
    assert.deepEqual(readdirSync(folder), ['a.npy']);
  });

  it('a run that fails after loading leaves no file and no folder behind', async () => {
    const folder = join(dir, 'failed');
    const run = await lucerna('attribute', model, '--input', inputNpy, '--method', 'grad-cam', '--layer', 'nope', '--out', join(folder, 'x', 'a.npy'));
    assert.equal(run.code, 1, run.stderr);
    assert.equal(existsSync(folder), false);
  });
});

describe('flags', () => {
  it('an old spelling works as an alias and prints one note', async () => {
    const out = join(dir, 'alias.npy');
    const run = await lucerna('attribute', model, '--image', inputNpy, '--method', 'saliency', '--out', out);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stderr.trim().split('\n'), ['note: --image is deprecated; use --input']);
    assert.ok(existsSync(out));
  });

  it('a required option given by no spelling is a usage error', async () => {
    const run = await lucerna('attribute', model, '--method', 'saliency', '--out', join(dir, 'none.npy'));
    assertOneLineError(run, 2, /required option '--input <file>' not specified/);
  });

  it('a class label as --target needs labels', async () => {
    const run = await lucerna('attribute', model, '--input', inputNpy, '--method', 'saliency', '--target', 'cat', '--out', join(dir, 't.npy'));
    assertOneLineError(run, 1, /--target "cat" is a label, but the model has no class labels/);
  });
});

describe('the bundled model', () => {
  it('is the default MODEL, and a sidecar label works as --target', async () => {
    const out = join(dir, 'bundled.npy');
    const run = await lucerna('attribute', '--input', coffee, '--method', 'saliency', '--target', 'Sexy', '--out', out, '--json');
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.model, 'bundled');
    assert.deepEqual(summary.targets, [4]);
    assert.deepEqual(summary.labels, ['Sexy']);
    assert.deepEqual(summary.shape, [1, 3, 224, 224]);
  });

  it('is named "bundled" as any MODEL argument', async () => {
    const run = await lucerna('attribute', 'bundled', '--input', coffee, '--method', 'grad-cam', '--target', 'drawing', '--out', join(dir, 'b.npy'), '--json');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).targets, [0]);
  });
});

describe('cancellation', () => {
  it('ends with exit code 130 and one line saying nothing was written', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const out = join(dir, 'cancelled', 'r.npy');
    const run = await lucernaWith(
      { signal: controller.signal },
      'attribute',
      model,
      '--input',
      inputNpy,
      '--method',
      'rise',
      '--masks',
      '400000',
      '--out',
      out,
    );
    assert.equal(run.code, 130, run.stderr);
    assert.deepEqual(run.stderr.trim().split('\n'), ['interrupted: nothing was written']);
    assert.equal(existsSync(join(dir, 'cancelled')), false);
  });
});

describe('subcommands', () => {
  it('a group lists its subcommands, and each has its own help', async () => {
    const top = await lucerna('--help');
    assert.match(top.stdout, /\n {2}dataset\s+generate data sets/);
    assert.match(top.stdout, /\n {2}model\s+create models/);
    const dataset = await lucerna('dataset', '--help');
    assert.match(dataset.stdout, /\n {2}parts\b/);
    assert.match(dataset.stdout, /\n {2}concepts\b/);
    const parts = await lucerna('dataset', 'parts', '--help');
    assert.match(parts.stdout, /--bias <rule\.\.\.>/);
    // Options the run requires say so in the help.
    const help = parts.stdout.replace(/\s+/g, ' ');
    assert.match(help, /--seed <s> random seed \(image i depends only on seed and i\) \(required\) --size/);
    assert.match(help, /--size <px> image side in pixels \(default 64\) --classes/);
  });

  it('a subcommand of a group that is also a command gets the flags both declare (dissect merge --out)', async () => {
    const run = await lucerna('dissect', 'merge', join(dir, 'no-shard'), '--out', join(dir, 'merged'));
    // --out reached `merge` (no usage error about it); the missing shard folder is the error.
    assertOneLineError(run, 1, /no-shard.*shard\.json/);
  });
});
