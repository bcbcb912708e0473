import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { isLucernaError } from '../../src/errors.js';
import { decodeRgb, encodeRgbPng, loadImageTensor, resizeRgb, saveRgbPng } from '../../src/io/image.js';

const IMAGES = '/work/shared/images';
const image = (name: string) => join(IMAGES, name);

/** Encodes raw pixels with sharp, optionally in a grey colourspace. */
async function encode(pixels: number[], width: number, height: number, channels: 1 | 2 | 3 | 4, format: 'png' | 'webp' | 'jpeg' = 'png'): Promise<Uint8Array> {
  let s = sharp(Uint8Array.from(pixels), { raw: { width, height, channels } });
  if (channels <= 2) s = s.toColourspace('b-w');
  return new Uint8Array(await s.toFormat(format, format === 'webp' ? { lossless: true } : {}).toBuffer());
}

/** A width × height RGB image whose pixel (x, y) is f(x, y). */
function synthetic(width: number, height: number, f: (x: number, y: number) => [number, number, number]): number[] {
  const out: number[] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out.push(...f(x, y));
  return out;
}

function pixel(img: { rgb: Uint8Array; width: number }, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return Array.from(img.rgb.subarray(i, i + 3));
}

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lucerna-image-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('decoding the sample photographs', () => {
  const sizes: [string, number, number][] = [
    ['astronaut.png', 512, 512],
    ['chelsea.png', 451, 300],
    ['coffee.png', 600, 400],
    ['rocket.jpg', 640, 427],
    ['camera.png', 512, 512],
    ['horse.png', 400, 328],
  ];
  for (const [name, width, height] of sizes) {
    test(`${name} becomes a [1, 3, 224, 224] imagenet tensor`, async () => {
      const r = await loadImageTensor(image(name), { size: [224, 224] });
      assert.deepEqual(r.tensor.shape, [1, 3, 224, 224]);
      assert.deepEqual(r.original, { width, height });
      assert.deepEqual([r.image.width, r.image.height, r.image.rgb.length], [224, 224, 224 * 224 * 3]);
      const lo = (0 - 0.485) / 0.229;
      const hi = (1 - 0.406) / 0.225;
      assert.ok(r.tensor.data.every((v) => v >= lo - 1e-5 && v <= hi + 1e-5));
      assert.ok(new Set(r.image.rgb).size > 20, 'a photograph has many levels');
    });
  }

  test('the tensor holds the returned image, in NCHW planes', async () => {
    const r = await loadImageTensor(image('chelsea.png'), { size: [32, 48], normalization: 'raw255' });
    const plane = 32 * 48;
    for (const p of [0, 17, 1000, plane - 1]) {
      for (let c = 0; c < 3; c++) assert.equal(r.tensor.data[c * plane + p], r.image.rgb[p * 3 + c]);
    }
  });

  test('grey camera.png is replicated to three equal channels', async () => {
    const r = await loadImageTensor(image('camera.png'), { size: [64, 64], normalization: 'unit' });
    const plane = 64 * 64;
    for (let p = 0; p < plane; p++) {
      assert.equal(r.tensor.data[p], r.tensor.data[plane + p]);
      assert.equal(r.tensor.data[p], r.tensor.data[2 * plane + p]);
    }
    const grey = await loadImageTensor(image('camera.png'), { inputDims: [1, 1, 64, 64], normalization: 'unit' });
    assert.deepEqual(grey.tensor.shape, [1, 1, 64, 64]);
    for (let p = 0; p < plane; p++) assert.ok(Math.abs((grey.tensor.data[p] as number) - (r.tensor.data[p] as number)) < 1e-5);
  });

  test('lossless WebP decodes to the same pixels as the PNG it came from', async () => {
    const png = await decodeRgb(image('astronaut.png'));
    const webp = await encode(Array.from(png.rgb), png.width, png.height, 3, 'webp');
    assert.deepEqual((await sharp(webp).metadata()).format, 'webp');
    const a = await loadImageTensor(image('astronaut.png'), { size: [100, 100] });
    const b = await loadImageTensor(webp, { size: [100, 100] });
    assert.deepEqual(b.tensor.data, a.tensor.data);
  });
});

describe('transparency and orientation', () => {
  // Transparent red, half-transparent blue, opaque green.
  const rgba = [255, 0, 0, 0, 0, 0, 255, 128, 0, 255, 0, 255];

  test('alpha is composited onto white by default', async () => {
    const img = await decodeRgb(await encode(rgba, 3, 1, 4));
    assert.deepEqual(pixel(img, 0, 0), [255, 255, 255]);
    const [r, g, b] = pixel(img, 1, 0) as [number, number, number];
    assert.ok(Math.abs(r - 127) <= 1 && Math.abs(g - 127) <= 1 && b === 255, `got ${[r, g, b]}`);
    assert.deepEqual(pixel(img, 2, 0), [0, 255, 0]);
  });

  test('alpha is composited onto a chosen background', async () => {
    const img = await decodeRgb(await encode(rgba, 3, 1, 4), [0, 0, 0]);
    assert.deepEqual(pixel(img, 0, 0), [0, 0, 0]);
    const [r, g, b] = pixel(img, 1, 0) as [number, number, number];
    assert.ok(r === 0 && g === 0 && Math.abs(b - 128) <= 1, `got ${[r, g, b]}`);
    const t = await loadImageTensor(await encode(rgba, 3, 1, 4), { size: [1, 3], background: [0, 0, 0], normalization: 'raw255' });
    assert.deepEqual(Array.from(t.tensor.data.subarray(0, 3)), [0, 0, 0], 'red plane');
  });

  test('grey with alpha becomes composited grey RGB', async () => {
    const bytes = await encode([0, 0, 200, 255, 100, 128], 3, 1, 2);
    assert.equal((await sharp(bytes).metadata()).channels, 2);
    const img = await decodeRgb(bytes, [255, 255, 255]);
    assert.deepEqual(pixel(img, 0, 0), [255, 255, 255]);
    assert.deepEqual(pixel(img, 1, 0), [200, 200, 200]);
    const mid = pixel(img, 2, 0);
    assert.ok(
      mid.every((v) => Math.abs(v - 177) <= 1),
      `got ${mid}`,
    );
  });

  test('bad background is BAD_OPTION', async () => {
    await assert.rejects(decodeRgb(image('horse.png'), [0, 0, 300]), (e: unknown) => isLucernaError(e, 'BAD_OPTION'));
  });

  test('EXIF orientation is applied', async () => {
    const wide = synthetic(8, 4, (x) => (x < 4 ? [250, 0, 0] : [0, 0, 250]));
    const raw = sharp(Uint8Array.from(wide), { raw: { width: 8, height: 4, channels: 3 } });
    const jpeg = new Uint8Array(await raw.jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer());
    const img = await decodeRgb(jpeg);
    assert.deepEqual([img.width, img.height], [4, 8], 'orientation 6 turns 8×4 into 4×8');
    const top = pixel(img, 2, 1);
    assert.ok((top[0] as number) > 200 && (top[2] as number) < 50, `rotated 90° clockwise: the left (red) half is on top, got ${top}`);
  });
});

describe('resizing', () => {
  // Pixel (x, y) = (4x, 8y, 0): every column and row is distinct.
  const gradient = { rgb: Uint8Array.from(synthetic(60, 30, (x, y) => [4 * x, 8 * y, 0])), width: 60, height: 30 };

  test('center-crop without scaling takes exactly the centre window', async () => {
    const out = await resizeRgb(gradient, 30, 30, 'center-crop');
    assert.deepEqual([out.width, out.height], [30, 30]);
    for (const [x, y] of [
      [0, 0],
      [29, 29],
      [7, 11],
    ] as const) {
      assert.deepEqual(pixel(out, x, y), [4 * (x + 15), 8 * y, 0]);
    }
  });

  test('center-crop scales the short side, stretch squeezes the whole image', async () => {
    // 120×60: outer thirds red, centre third green. Centre crop to 30×30 keeps only the green.
    const src = { rgb: Uint8Array.from(synthetic(120, 60, (x) => (x >= 30 && x < 90 ? [0, 255, 0] : [255, 0, 0]))), width: 120, height: 60 };
    const crop = await resizeRgb(src, 30, 30, 'center-crop');
    for (let x = 3; x < 27; x++) assert.deepEqual(pixel(crop, x, 15), [0, 255, 0], `crop column ${x}`);
    const stretch = await resizeRgb(src, 30, 30, 'stretch');
    assert.deepEqual(pixel(stretch, 2, 15), [255, 0, 0]);
    assert.deepEqual(pixel(stretch, 15, 15), [0, 255, 0]);
    assert.deepEqual(pixel(stretch, 27, 15), [255, 0, 0]);
  });

  test('loadImageTensor reads size and layout from the model input dims', async () => {
    const bytes = await encode(Array.from(gradient.rgb), 60, 30, 3);
    const nhwc = await loadImageTensor(bytes, { inputDims: ['N', 30, 30, 3], normalization: 'raw255' });
    assert.deepEqual(nhwc.tensor.shape, [1, 30, 30, 3]);
    assert.equal(nhwc.preprocessing.layout, 'NHWC');
    assert.deepEqual(Array.from(nhwc.tensor.data.subarray(0, 3)), [60, 0, 0], 'first pixel of the centre crop, interleaved');
    const stretched = await loadImageTensor(bytes, { inputDims: [1, 3, 30, 60], resize: 'stretch', normalization: 'raw255' });
    assert.deepEqual(stretched.tensor.shape, [1, 3, 30, 60]);
    assert.equal(stretched.tensor.data[59], 236, 'unchanged size keeps the last column');
  });

  test('an unknown size fails before decoding', async () => {
    await assert.rejects(loadImageTensor(image('chelsea.png'), { inputDims: ['N', 3, 'H', 'W'] }), (e: unknown) => isLucernaError(e, 'BAD_OPTION'));
  });
});

describe('errors and writing', () => {
  const oneLine = (code: 'BAD_FILE' | 'FILE_NOT_FOUND', words: RegExp) => (e: unknown) =>
    isLucernaError(e, code) && words.test(e.message) && !e.oneLine().includes('\n');

  test('unreadable images are one-line BAD_FILE errors', async () => {
    await assert.rejects(
      loadImageTensor(new TextEncoder().encode('definitely not an image'), { size: [8, 8] }),
      oneLine('BAD_FILE', /Cannot decode the bytes given as an image/),
    );
    const png = await readFile(image('chelsea.png'));
    const cut = new Uint8Array(png.subarray(0, png.length >> 1));
    await assert.rejects(loadImageTensor(cut, { size: [8, 8] }), oneLine('BAD_FILE', /Cannot decode/));
    const jpeg = await readFile(image('rocket.jpg'));
    const cutPath = join(dir, 'cut.jpg');
    await writeFile(cutPath, jpeg.subarray(0, 3000));
    await assert.rejects(loadImageTensor(cutPath, { size: [8, 8] }), oneLine('BAD_FILE', /cut\.jpg/));
  });

  test('missing files and folders', async () => {
    await assert.rejects(loadImageTensor(join(dir, 'nope.png'), { size: [8, 8] }), oneLine('FILE_NOT_FOUND', /nope\.png/));
    await assert.rejects(loadImageTensor(dir, { size: [8, 8] }), oneLine('BAD_FILE', /directory/));
  });

  test('saveRgbPng writes a PNG that decodes to the same pixels', async () => {
    const rgb = Uint8Array.from(synthetic(5, 3, (x, y) => [x * 50, y * 100, 7]));
    const path = join(dir, 'out.png');
    await saveRgbPng(path, rgb, 5, 3);
    const meta = await sharp(path).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 5, 3]);
    assert.deepEqual((await decodeRgb(path)).rgb, rgb);
    assert.deepEqual((await decodeRgb(await encodeRgbPng(rgb, 5, 3))).rgb, rgb);
  });

  test('saveRgbPng checks its input and the destination', async () => {
    await assert.rejects(saveRgbPng(join(dir, 'x.png'), new Uint8Array(10), 2, 2), (e: unknown) => isLucernaError(e, 'BAD_SHAPE'));
    await assert.rejects(saveRgbPng(join(dir, 'no', 'such', 'x.png'), new Uint8Array(12), 2, 2), oneLine('BAD_FILE', /Cannot write/));
  });
});
