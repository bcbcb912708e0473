/**
 * ImageFolder data and its augmentation: class discovery, seeded and switchable augmentation,
 * pure crop/flip/jitter functions, and the CLI's one-line errors for unusable folders.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { colourJitter, flipHorizontal, randomResizedCropBox, sampleRandom } from '../../src/datasets/augment.js';
import { imageFolder } from '../../src/datasets/node/image-folder.js';
import { createModel } from '../../src/models/architectures.js';
import { lucerna } from '../helpers/cli.js';

const work = await mkdtemp(join(tmpdir(), 'lucerna-imagefolder-'));
after(() => rm(work, { recursive: true, force: true }));

async function png(path: string, colour: [number, number, number], w = 20, h = 14): Promise<void> {
  const data = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = (colour[c] as number) + ((i * 7 + c * 13) % 40);
  await sharp(data, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toFile(path);
}

const root = join(work, 'train');
for (const [cls, colour] of [
  ['cat', [200, 30, 30]],
  ['dog', [30, 30, 200]],
] as const) {
  mkdirSync(join(root, cls), { recursive: true });
  for (let i = 0; i < 3; i++) await png(join(root, cls, `${i}.png`), [...colour] as [number, number, number]);
}
writeFileSync(join(root, 'cat', 'notes.txt'), 'not an image');

describe('image folder', () => {
  it('finds the classes (sorted subfolders) and their images, ignoring other files', async () => {
    const d = await imageFolder(root, { sampleShape: [3, 8, 8] });
    assert.equal(d.size, 6);
    assert.deepEqual(d.classNames, ['cat', 'dog']);
    assert.deepEqual([...(await d.labels())], [0, 0, 0, 1, 1, 1]);
    const b = await d.read([0, 5], 0);
    assert.deepEqual(b.x.shape, [2, 3, 8, 8]);
    assert.deepEqual([...b.labels], [0, 1]);
    // red image: channel 0 brighter than channel 2; values in [0, 1]
    assert.ok((b.x.data[0] as number) > (b.x.data[128] as number));
    assert.ok(b.x.data.every((v) => v >= 0 && v <= 1));
  });
  it('augmentation is seeded: the same (seed, epoch, index) repeats, another epoch differs', async () => {
    const augment = { crop: true, flip: true, jitter: 0.2 };
    const a = await imageFolder(root, { sampleShape: [3, 8, 8], augment, seed: 1 });
    const first = (await a.read([1, 4], 0)).x.data;
    assert.deepEqual((await a.read([1, 4], 0)).x.data, first);
    assert.notDeepEqual((await a.read([1, 4], 1)).x.data, first);
  });
  it('with every augmentation off, reads equal the plain ones', async () => {
    const off = await imageFolder(root, { sampleShape: [1, 8, 8], augment: { crop: false, flip: false, jitter: 0 }, seed: 4 });
    const plain = await imageFolder(root, { sampleShape: [1, 8, 8] });
    assert.deepEqual((await off.read([0, 3], 2)).x.data, (await plain.read([0, 3], 0)).x.data);
  });
});

describe('augmentation functions', () => {
  it('random resized crops stay inside the image with area 8–100 % and ratio 3/4–4/3 (or the centre fallback)', () => {
    for (let i = 0; i < 200; i++) {
      const b = randomResizedCropBox(64, 48, sampleRandom(0, 0, i));
      assert.ok(b.left >= 0 && b.top >= 0 && b.left + b.width <= 64 && b.top + b.height <= 48, JSON.stringify(b));
      assert.ok(b.width * b.height >= 0.07 * 64 * 48);
    }
    // an extreme aspect ratio never fits: the centre crop clamps the ratio
    assert.deepEqual(
      randomResizedCropBox(100, 10, () => 0.99),
      { left: 43, top: 0, width: 13, height: 10 },
    );
  });
  it('flip mirrors each row; zero jitter changes nothing', () => {
    const p = new Float32Array([1, 2, 3, 4, 5, 6]);
    flipHorizontal(p, 1, 2, 3);
    assert.deepEqual([...p], [3, 2, 1, 6, 5, 4]);
    const q = new Float32Array([0.1, 0.5, 0.9, 0.3, 0.2, 0.7]);
    const copy = Float32Array.from(q);
    colourJitter(q, 3, 2, 0, sampleRandom(0, 0, 0));
    for (const [i, v] of q.entries()) assert.ok(Math.abs(v - (copy[i] as number)) < 1e-6);
  });
});

const train = (...args: string[]) => lucerna('train', ...args);

describe('lucerna train --dataset <folder>', () => {
  const model = join(work, 'cnn.onnx');
  writeFileSync(model, createModel('small-cnn', { classes: 2, input: [3, 8, 8] }));
  it('trains and writes the class names into the sidecar', async () => {
    const out = join(work, 'trained.onnx');
    const r = await train(model, '--dataset', root, '--batch-size', '2', '--steps', '2', '--val', '0.34', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(readFileSync(join(work, 'trained.lucerna.json'), 'utf8')).labels, ['cat', 'dog']);
  });
  const cases: [string, () => string, RegExp][] = [
    ['a missing folder', () => join(work, 'nowhere'), /Cannot read the image folder .*nowhere \(ENOENT\)/],
    [
      'a regular file given as the folder',
      () => {
        writeFileSync(join(work, 'not-a-folder'), 'x');
        return join(work, 'not-a-folder');
      },
      /Cannot read the image folder .*not-a-folder \(ENOTDIR\)/,
    ],
    [
      'a folder without class subfolders',
      () => {
        mkdirSync(join(work, 'flat'), { recursive: true });
        return join(work, 'flat');
      },
      /has no class subfolders/,
    ],
    [
      'class subfolders without images',
      () => {
        mkdirSync(join(work, 'empty', 'a'), { recursive: true });
        return join(work, 'empty');
      },
      /has no images in its 1 class subfolders/,
    ],
    [
      'an unreadable image',
      () => {
        mkdirSync(join(work, 'broken', 'a'), { recursive: true });
        mkdirSync(join(work, 'broken', 'b'), { recursive: true });
        writeFileSync(join(work, 'broken', 'a', 'x.png'), 'not a png');
        writeFileSync(join(work, 'broken', 'b', 'y.png'), 'not a png');
        return join(work, 'broken');
      },
      /Cannot decode the image .*broken.*\.png \(/,
    ],
  ];
  for (const [name, make, pattern] of cases) {
    it(`${name} is a one-line error and no checkpoint`, async () => {
      const out = join(work, `bad-${name.length}.onnx`);
      const r = await train(model, '--dataset', make(), '--batch-size', '2', '--steps', '1', '--no-shuffle', '--out', out);
      assert.equal(r.code, 1, r.stderr);
      const lines = r.stderr.split('\n').filter((l) => l);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0] as string, pattern);
      assert.ok(!existsSync(out));
    });
  }
});
