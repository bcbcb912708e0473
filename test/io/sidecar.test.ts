import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isLucernaError } from '../../src/errors.js';
import { loadImageTensor } from '../../src/io/image.js';
import { readSidecar, type Sidecar, sidecarPath, validateSidecar, writeSidecar } from '../../src/io/sidecar.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lucerna-sidecar-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Asserts a one-line BAD_FILE error whose message contains `text`. */
function badField(text: string) {
  return (e: unknown) => isLucernaError(e, 'BAD_FILE') && e.message.includes(text) && !e.oneLine().includes('\n');
}

describe('sidecar paths', () => {
  test('same folder and stem, .lucerna.json', () => {
    assert.equal(sidecarPath('models/resnet18.onnx'), join('models', 'resnet18.lucerna.json'));
    assert.equal(sidecarPath('/a/b.c/model.v2.onnx'), '/a/b.c/model.v2.lucerna.json');
    assert.equal(sidecarPath('model'), 'model.lucerna.json');
  });
});

describe('readSidecar and writeSidecar', () => {
  test('absent sidecar is undefined', async () => {
    assert.equal(await readSidecar(join(dir, 'none.onnx')), undefined);
  });

  test('round-trips every field and adds the version', async () => {
    const sidecar: Sidecar = {
      preprocessing: {
        size: [224, 200],
        resize: 'stretch',
        normalization: { mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], range: 255 },
        layout: 'NHWC',
        channelOrder: 'BGR',
        channels: 3,
      },
      labels: ['cat', 'dog', 'crane', 'crane'],
    };
    const model = join(dir, 'full.onnx');
    assert.equal(await writeSidecar(model, sidecar), join(dir, 'full.lucerna.json'));
    assert.deepEqual(await readSidecar(model), { version: 1, ...sidecar });
    const text = await readFile(join(dir, 'full.lucerna.json'), 'utf8');
    assert.ok(text.endsWith('}\n') && text.includes('\n  "preprocessing"'), 'pretty-printed with a final newline');
  });

  test('a minimal hand-written sidecar works and feeds loadImageTensor', async () => {
    const model = join(dir, 'tiny.onnx');
    await writeFile(join(dir, 'tiny.lucerna.json'), '{ "preprocessing": { "normalization": "unit", "resize": "stretch" } }');
    const sidecar = await readSidecar(model);
    assert.deepEqual(sidecar, { preprocessing: { normalization: 'unit', resize: 'stretch' } });
    const r = await loadImageTensor('/work/shared/images/chelsea.png', { inputDims: [1, 3, 16, 16], ...sidecar?.preprocessing });
    assert.equal(r.preprocessing.normalization, 'unit');
    assert.equal(r.preprocessing.resize, 'stretch');
    assert.ok(r.tensor.data.every((v) => v >= 0 && v <= 1));
  });

  test('invalid JSON names the file', async () => {
    const model = join(dir, 'broken.onnx');
    await writeFile(join(dir, 'broken.lucerna.json'), '{ "labels": [ "a", }');
    await assert.rejects(readSidecar(model), badField('broken.lucerna.json is not valid JSON'));
  });

  test('a sidecar path that is a folder is BAD_FILE', async () => {
    await mkdir(join(dir, 'folder.lucerna.json'));
    await assert.rejects(readSidecar(join(dir, 'folder.onnx')), (e: unknown) => isLucernaError(e, 'BAD_FILE'));
  });

  test('writeSidecar refuses an invalid sidecar and writes nothing', async () => {
    const model = join(dir, 'refused.onnx');
    await assert.rejects(writeSidecar(model, { labels: [1 as unknown as string] }), badField('labels[0] must be a string, got 1'));
    assert.equal(await readSidecar(model), undefined);
  });
});

describe('validateSidecar names the bad field', () => {
  const cases: [unknown, string][] = [
    [[], 'the sidecar must be an object'],
    [{ version: 2 }, 'version must be one of 1, got 2'],
    [{ label: [] }, 'unknown field label (allowed: version, preprocessing, labels; did you mean "labels"?)'],
    [{ colours: [] }, 'unknown field colours (allowed: version, preprocessing, labels)'],
    [{ labels: 'cat' }, 'labels must be an array of strings'],
    [{ preprocessing: [] }, 'preprocessing must be an object'],
    [{ preprocessing: { size: [224] } }, 'preprocessing.size must be [height, width], got [224]'],
    [{ preprocessing: { size: [224, -1] } }, 'preprocessing.size must be a non-empty array of positive integers'],
    [{ preprocessing: { resize: 'crop' } }, 'preprocessing.resize must be one of "center-crop", "stretch", got "crop"'],
    [{ preprocessing: { layout: 'CHW' } }, 'preprocessing.layout must be one of "NCHW", "NHWC"'],
    [{ preprocessing: { channelOrder: 'rgb' } }, 'preprocessing.channelOrder must be one of "RGB", "BGR"'],
    [{ preprocessing: { channels: 4 } }, 'preprocessing.channels must be one of 1, 3, got 4'],
    [{ preprocessing: { normalization: 'caffe' } }, 'preprocessing.normalization must be one of imagenet, unit, symmetric, raw255'],
    [{ preprocessing: { normalization: { mean: [0.5] } } }, 'preprocessing.normalization.std must be a non-empty array of positive numbers'],
    [{ preprocessing: { normalization: { mean: [0.5], std: [0] } } }, 'preprocessing.normalization.std must be a non-empty array of positive numbers'],
    [
      { preprocessing: { normalization: { mean: [0, 0], std: [1] } } },
      'preprocessing.normalization.mean has 2 values but preprocessing.normalization.std has 1',
    ],
    [{ preprocessing: { normalization: { mean: [0], std: [1], range: 100 } } }, 'preprocessing.normalization.range must be one of 1, 255'],
    [{ preprocessing: { mean: [0.5], std: [0.5] } }, 'preprocessing.mean and preprocessing.std belong inside preprocessing.normalization'],
    [
      { preprocessing: { channelorder: 'RGB' } },
      'unknown field preprocessing.channelorder (allowed: size, resize, normalization, layout, channelOrder, channels; did you mean "channelOrder"?)',
    ],
  ];
  for (const [value, message] of cases) {
    test(message, () => {
      assert.throws(() => validateSidecar(value, 'm.lucerna.json'), badField(`m.lucerna.json: ${message}`));
    });
  }

  test('an empty object is a valid sidecar', () => {
    assert.deepEqual(validateSidecar({}), {});
  });
});
