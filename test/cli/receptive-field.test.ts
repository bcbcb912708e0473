/**
 * `lucerna receptive-field`: the theoretical field from the graph and the empirical one
 * (`empiricalReceptiveField`, whose values are checked by hand in
 * test/visualization/empirical-receptive-field.test.ts), on the oracle's tiny CNN and the bundled photo.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { empiricalReceptiveField } from '../../src/visualization/empirical-receptive-field.js';
import { assertOneLineError, lucerna, lucernaJson, root } from '../helpers/cli.js';
import { oracleDir } from '../helpers/oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-rf-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const model = join(oracleDir, 'tiny_cnn/model.onnx');
const images = join(dir, 'images');
mkdirSync(images);
copyFileSync(join(root, 'assets/images/coffee.png'), join(images, 'coffee.png'));
const layer = '/relu1/Relu_output_0';

describe('lucerna receptive-field', () => {
  it('reports the theoretical field and the empirical radius, and writes the mean drop by offset', async () => {
    const out = join(dir, 'field.json');
    const s = await lucernaJson('receptive-field', model, '--input', images, '--layer', layer, '--patch', '2', '--stride', '1', '--out', out, '--json');
    assert.equal(s.images, 1);
    assert.deepEqual(s.theoretical.size, [3, 3], 'one 3×3 conv');
    assert.ok(
      s.empirical.radius > 0 && s.empirical.area <= 3 * 3 + 2 * 3 + 1,
      `the field stays within the 3×3 kernel plus the 2-px occluder: ${s.empirical.area}`,
    );
    const written = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(written.empirical.radius, s.empirical.radius);
    assert.equal(written.drop.values.length, written.drop.size[0] * written.drop.size[1]);
  });

  it('matches the library on the same image', async () => {
    const s = await lucernaJson('receptive-field', model, '--input', images, '--layer', layer, '--json');
    await using net = await Model.load(readFileSync(model), { runtime: nodeRuntime });
    const { loadImageTensor } = await import('../../src/io/image.js');
    const { tensor } = await loadImageTensor(join(images, 'coffee.png'), { inputDims: net.input.dims });
    const field = await empiricalReceptiveField(net, layer, [tensor]);
    assert.equal(s.empirical.area, field.area);
    assert.equal(s.empirical.peaks, field.peaks);
  });

  it('a uniform image, where an occluder of its own mean colour changes nothing, has no empirical field and says so', async () => {
    const flat = join(dir, 'flat');
    mkdirSync(flat);
    await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .png()
      .toFile(join(flat, 'grey.png'));
    const run = await lucerna('receptive-field', model, '--input', flat, '--layer', layer);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /no empirical field: no unit's peak dropped under the \d+-px occluder on this image/);
    assert.doesNotMatch(run.stdout, /--association-radius/);
  });

  it('bad input is one line: no images, an unknown layer, an occluder larger than the input, a bad --count', async () => {
    const run = (...extra: string[]) => lucerna('receptive-field', model, '--layer', layer, ...extra);
    assertOneLineError(await run('--input', join(dir, 'none')), 1, /Cannot find the image folder/);
    assertOneLineError(await lucerna('receptive-field', model, '--input', images, '--layer', 'nope'), 1, /No layer named "nope"/);
    assertOneLineError(await run('--input', images, '--patch', '999'), 2, /larger than the/);
    assertOneLineError(await run('--input', images, '--count', '0'), 2, /--count must be an integer ≥ 1/);
  });
});
