/**
 * `lucerna visualize`, `invert` and `top-patches` end to end on a small model: the files they
 * write, their JSON summaries, the warning for an unreadable image, and one-line errors for bad
 * input with nothing left behind.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { assertOneLineError, lucerna, stderrLines } from '../helpers/cli.js';
import { edgeModelBytes, sharedImages } from '../visualization/models.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-vis-cli-'));
const model = join(dir, 'edge.onnx');
const images = join(dir, 'images');
after(() => rmSync(dir, { recursive: true, force: true }));

async function pngSize(path: string): Promise<[number, number]> {
  const meta = await sharp(path).metadata();
  return [meta.width ?? 0, meta.height ?? 0];
}

before(() => {
  writeFileSync(model, edgeModelBytes(32));
  mkdirSync(images);
  for (const name of ['chelsea.png', 'coffee.png', 'horse.png', 'camera.png']) copyFileSync(join(sharedImages, name), join(images, name));
  writeFileSync(join(images, 'broken.jpg'), 'this is not an image');
  writeFileSync(join(images, 'notes.txt'), 'ignored: not an image extension');
});

describe('lucerna visualize', () => {
  it('writes one PNG per channel and the objective curve', async () => {
    const out = join(dir, 'vis');
    const run = await lucerna('visualize', model, '--layer', 'relu1', '--channels', '0,1', '--steps', '16', '--out', out);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^visualize: channel\("relu1", 0, batch 0\) \+ channel\("relu1", 1, batch 1\): .* in 16 steps → /);
    for (const f of ['channel-0.png', 'channel-1.png']) assert.deepEqual(await pngSize(join(out, f)), [32, 32]);
    const curve = JSON.parse(readFileSync(join(out, 'curve.json'), 'utf8'));
    assert.equal(curve.values.length, 16);
    assert.ok(curve.values[15] > curve.values[0]);
    assert.match(readFileSync(join(out, 'curve.svg'), 'utf8'), /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg".*aria-label="line"/s);
  });

  it('takes an objective expression, the pixel parameterization and a size, with --json', async () => {
    const out = join(dir, 'vis-expr');
    const run = await lucerna(
      'visualize',
      model,
      '--objective',
      'relu1:0 - 0.5 * layer(relu2)',
      '--param',
      'pixel',
      '--size',
      '24',
      '--steps',
      '8',
      '--out',
      out,
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.objective, 'channel("relu1", 0) - 0.5 * layer("relu2")');
    assert.deepEqual(summary.size, [24, 24]);
    assert.deepEqual(await pngSize(join(out, 'image-0.png')), [24, 24]);
  });

  it('an unknown layer lists close names', async () => {
    const run = await lucerna('visualize', model, '--layer', 'relu9', '--channels', '0', '--steps', '4', '--out', join(dir, 'bad1'));
    assertOneLineError(run, 1, /No layer named "relu9" in the model\. Closest names: .*"relu1"/);
    assert.equal(existsSync(join(dir, 'bad1')), false);
  });

  it('--memory-limit is a flag (README): a size over it is refused with the estimate, before any work', async () => {
    const run = await lucerna(
      'visualize',
      model,
      '--layer',
      'relu2',
      '--channels',
      '3',
      '--size',
      '512',
      '--memory-limit',
      '1M',
      '--out',
      join(dir, 'bad-mem'),
    );
    assertOneLineError(run, 2, /needs about .* over the limit of 1 MB/);
    assert.equal(existsSync(join(dir, 'bad-mem')), false);
    const bad = await lucerna('visualize', model, '--layer', 'relu2', '--channels', '3', '--memory-limit', 'lots', '--out', join(dir, 'bad-mem2'));
    assertOneLineError(bad, 2, /--memory-limit/);
  });

  it('a channel out of range names the range', async () => {
    const run = await lucerna('visualize', model, '--layer', 'relu2', '--channels', '3,99', '--steps', '4', '--out', join(dir, 'bad2'));
    assertOneLineError(run, 2, /Channel 99 is out of range: layer "relu2" has 8 channels\. Pick a channel from 0 to 7/);
    assert.equal(existsSync(join(dir, 'bad2')), false);
  });

  it('an objective that does not parse shows the position', async () => {
    const run = await lucerna('visualize', model, '--objective', 'relu1:0 + * 2', '--out', join(dir, 'bad3'));
    assertOneLineError(run, 2, /The objective does not parse at column 11: expected an objective.* At: relu1:0 \+ ⟨here⟩\* 2/);
  });
});

describe('lucerna invert', () => {
  it('writes the reconstruction and its loss curve', async () => {
    const out = join(dir, 'inverted.png');
    const run = await lucerna('invert', model, '--input', join(sharedImages, 'chelsea.png'), '--layer', 'relu1', '--steps', '150', '--out', out, '--json');
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.layer, 'relu1');
    assert.ok(summary.psnr >= 20, `PSNR ${summary.psnr}`);
    assert.deepEqual(await pngSize(out), [32, 32]);
    const loss = JSON.parse(readFileSync(join(dir, 'inverted.loss.json'), 'utf8'));
    assert.equal(loss.loss.length, 150);
    assert.ok(loss.loss[149] < loss.loss[0]);
    assert.ok(existsSync(join(dir, 'inverted.loss.svg')));
  });

  it('rejects an output that is not a PNG', async () => {
    const run = await lucerna('invert', model, '--input', join(sharedImages, 'chelsea.png'), '--layer', 'relu1', '--out', join(dir, 'x.jpg'));
    assertOneLineError(run, 2, /--out must end in \.png/);
  });
});

describe('lucerna top-patches', () => {
  it('writes a montage per channel and index.json; an unreadable image is skipped with a warning and counted', async () => {
    const out = join(dir, 'patches');
    const run = await lucerna('top-patches', model, '--input', images, '--layer', 'relu2', '--channels', '0,3', '--k', '2', '--batch-size', '3', '--out', out);
    assert.equal(run.code, 0, run.stderr);
    const warnings = stderrLines(run);
    assert.equal(warnings.length, 1, run.stderr);
    assert.match(warnings[0] as string, /^warning: Skipped broken\.jpg: Cannot decode/);
    assert.match(run.stdout, /top-patches: relu2: 4 images \(1 skipped\), 2 montages/);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    assert.equal(index.images, 4);
    assert.deepEqual(
      index.skipped.map((s: { image: string }) => s.image),
      ['broken.jpg'],
    );
    assert.deepEqual(index.receptiveField.size, [5, 5]);
    assert.deepEqual(
      index.channels.map((c: { channel: number; patches: unknown[] }) => [c.channel, c.patches.length]),
      [
        [0, 2],
        [3, 2],
      ],
    );
    // 2 cells of 5×5 side by side with a 2-pixel gap
    assert.deepEqual(await pngSize(join(out, 'channel-3.png')), [12, 5]);
  });

  it('an empty image folder is a clear error', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'readme.txt'), 'no images here');
    const run = await lucerna('top-patches', model, '--input', empty, '--layer', 'relu1', '--out', join(dir, 'bad4'));
    assertOneLineError(run, 1, /The folder .*empty has no images/);
    assert.equal(existsSync(join(dir, 'bad4')), false);
  });

  it('a missing folder is a clear error', async () => {
    const run = await lucerna('top-patches', model, '--input', join(dir, 'nowhere'), '--layer', 'relu1', '--out', join(dir, 'bad5'));
    assertOneLineError(run, 1, /Cannot find the image folder: .*nowhere/);
  });
});
