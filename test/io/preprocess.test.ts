import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isLucernaError } from '../../src/errors.js';
import {
  centerCropGeometry,
  chwToHwc,
  hwcToChw,
  type PixelOptions,
  preprocessingFromInputDims,
  resolveNormalization,
  resolvePreprocessing,
  rgbToTensor,
  tensorToRgb,
} from '../../src/io/preprocess.js';

const badOption = (e: unknown) => isLucernaError(e, 'BAD_OPTION');

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs((actual[i] as number) - (expected[i] as number)) <= tol, `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

/** A 2×1 image: a reddish pixel then a bluish one. */
const rgb = Uint8Array.of(255, 128, 0, 10, 20, 230);
const base: PixelOptions = { normalization: 'unit', layout: 'NCHW', channelOrder: 'RGB', channels: 3 };

describe('normalisation presets', () => {
  test('each preset maps 0, 128 and 255 to the documented values', () => {
    const grey = Uint8Array.of(0, 0, 0, 128, 128, 128, 255, 255, 255);
    const expect = (p: number) => ({
      unit: p / 255,
      symmetric: (p / 255) * 2 - 1,
      raw255: p,
    });
    for (const preset of ['unit', 'symmetric', 'raw255'] as const) {
      const t = rgbToTensor(grey, 3, 1, { ...base, normalization: preset });
      close(
        t.data.subarray(0, 3),
        [0, 128, 255].map((p) => expect(p)[preset]),
        1e-4,
      );
    }
    const imagenet = rgbToTensor(grey, 3, 1, { ...base, normalization: 'imagenet' });
    close(
      imagenet.data,
      [0, 128, 255, 0, 128, 255, 0, 128, 255].map((p, i) => (p / 255 - [0.485, 0.456, 0.406][Math.floor(i / 3)]!) / [0.229, 0.224, 0.225][Math.floor(i / 3)]!),
      1e-5,
    );
  });

  test('custom mean/std on the [0, 255] scale equals the same numbers divided by 255', () => {
    const caffe = rgbToTensor(rgb, 2, 1, { ...base, normalization: { mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], range: 255 } });
    const imagenet = rgbToTensor(rgb, 2, 1, { ...base, normalization: 'imagenet' });
    close(caffe.data, imagenet.data, 1e-5);
  });

  test('one mean and std apply to every channel', () => {
    assert.deepEqual(resolveNormalization({ mean: [0.5], std: [0.25] }, 3), { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
  });

  test('bad normalisations are BAD_OPTION', () => {
    assert.throws(() => resolveNormalization('imagenet', 1), badOption);
    assert.throws(
      () => resolveNormalization('caffe' as 'unit', 3),
      (e: unknown) => badOption(e) && /imagenet, unit, symmetric, raw255/.test(String((e as Error & { hint: string }).hint)),
    );
    assert.throws(() => resolveNormalization({ mean: [0, 0], std: [1, 1] }, 3), badOption);
    assert.throws(() => resolveNormalization({ mean: [0], std: [0] }, 3), badOption);
    assert.throws(() => resolveNormalization({ mean: [0], std: [1], range: 100 as 255 }, 3), badOption);
  });
});

describe('layout and channel order', () => {
  test('NCHW holds planes, NHWC holds interleaved pixels', () => {
    const raw = { ...base, normalization: 'raw255' as const };
    const nchw = rgbToTensor(rgb, 2, 1, raw);
    assert.deepEqual(nchw.shape, [1, 3, 1, 2]);
    close(nchw.data, [255, 10, 128, 20, 0, 230], 1e-3);
    const nhwc = rgbToTensor(rgb, 2, 1, { ...raw, layout: 'NHWC' });
    assert.deepEqual(nhwc.shape, [1, 1, 2, 3]);
    close(nhwc.data, [255, 128, 0, 10, 20, 230], 1e-3);
  });

  test('BGR reverses the channels and keeps the mean with its colour', () => {
    const bgr = rgbToTensor(rgb, 2, 1, { ...base, normalization: 'imagenet', channelOrder: 'BGR' });
    const rgbT = rgbToTensor(rgb, 2, 1, { ...base, normalization: 'imagenet' });
    close(bgr.data.subarray(0, 2), rgbT.data.subarray(4, 6));
    close(bgr.data.subarray(2, 4), rgbT.data.subarray(2, 4));
    close(bgr.data.subarray(4, 6), rgbT.data.subarray(0, 2));
  });

  test('one channel is Rec. 601 luma', () => {
    const t = rgbToTensor(rgb, 2, 1, { ...base, normalization: 'raw255', channels: 1 });
    assert.deepEqual(t.shape, [1, 1, 1, 2]);
    close(t.data, [0.299 * 255 + 0.587 * 128, 0.299 * 10 + 0.587 * 20 + 0.114 * 230], 1e-3);
  });

  test('hwcToChw and chwToHwc are inverses', () => {
    const hwc = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
    const chw = hwcToChw(hwc, 2, 3, 4);
    assert.equal(chw[1], 4, 'second value of plane 0 is pixel 1, channel 0');
    assert.deepEqual(chwToHwc(chw, 2, 3, 4), hwc);
  });

  test('tensorToRgb inverts rgbToTensor for every option combination', () => {
    const image = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 37) % 256);
    for (const layout of ['NCHW', 'NHWC'] as const) {
      for (const channelOrder of ['RGB', 'BGR'] as const) {
        for (const normalization of ['imagenet', 'unit', 'symmetric', 'raw255'] as const) {
          const options = { normalization, layout, channelOrder, channels: 3 as const };
          const back = tensorToRgb(rgbToTensor(image, 4, 3, options), options);
          assert.deepEqual([back.width, back.height], [4, 3]);
          assert.deepEqual(back.rgb, image, `${layout} ${channelOrder} ${normalization}`);
        }
      }
    }
  });

  test('tensorToRgb replicates grey and clamps out-of-range values', () => {
    const options: PixelOptions = { ...base, channels: 1 };
    const back = tensorToRgb({ data: Float32Array.of(-0.5, 0.5, 2), shape: [1, 1, 1, 3] }, options);
    assert.deepEqual(Array.from(back.rgb), [0, 0, 0, 128, 128, 128, 255, 255, 255]);
    assert.throws(
      () => tensorToRgb({ data: new Float32Array(6), shape: [2, 3, 1, 1] }, base),
      (e: unknown) => isLucernaError(e, 'BAD_SHAPE'),
    );
  });
});

describe('geometry and defaults', () => {
  test('center-crop covers the target with the short side, then crops the centre', () => {
    assert.deepEqual(centerCropGeometry(640, 480, 224, 224), { resizeWidth: 299, resizeHeight: 224, left: 37, top: 0 });
    assert.deepEqual(centerCropGeometry(300, 451, 224, 224), { resizeWidth: 224, resizeHeight: 337, left: 0, top: 56 });
    assert.deepEqual(centerCropGeometry(100, 100, 50, 100), { resizeWidth: 100, resizeHeight: 100, left: 25, top: 0 });
    assert.deepEqual(centerCropGeometry(64, 64, 64, 64), { resizeWidth: 64, resizeHeight: 64, left: 0, top: 0 });
  });

  test('input dims give layout, size and channels when unambiguous', () => {
    assert.deepEqual(preprocessingFromInputDims([1, 3, 224, 200]), { layout: 'NCHW', channels: 3, size: [224, 200] });
    assert.deepEqual(preprocessingFromInputDims(['N', 64, 32, 1]), { layout: 'NHWC', channels: 1, size: [64, 32] });
    assert.deepEqual(preprocessingFromInputDims(['N', 3, 'H', 'W']), { layout: 'NCHW', channels: 3 });
    assert.deepEqual(preprocessingFromInputDims([1, 3, 3, 3]), {});
    assert.deepEqual(preprocessingFromInputDims([1, 784]), {});
  });

  test('explicit options win over the input dims, which win over the defaults', () => {
    const fromDims = resolvePreprocessing({}, [1, 32, 48, 3]);
    assert.deepEqual(fromDims, { size: [32, 48], resize: 'center-crop', normalization: 'imagenet', layout: 'NHWC', channelOrder: 'RGB', channels: 3 });
    const explicit = resolvePreprocessing({ size: [10, 20], layout: 'NCHW', resize: 'stretch' }, [1, 32, 48, 3]);
    assert.deepEqual([explicit.size, explicit.layout, explicit.resize], [[10, 20], 'NCHW', 'stretch']);
  });

  test('unknown size and bad choices are BAD_OPTION', () => {
    assert.throws(
      () => resolvePreprocessing({}),
      (e: unknown) => badOption(e) && /size/.test((e as Error).message),
    );
    assert.throws(() => resolvePreprocessing({}, ['N', 3, 'H', 'W']), badOption);
    assert.throws(() => resolvePreprocessing({ size: [0, 5] }), badOption);
    assert.throws(() => resolvePreprocessing({ size: [5, 5], layout: 'CHW' as 'NCHW' }), badOption);
    assert.throws(() => resolvePreprocessing({ size: [5, 5], resize: 'crop' as 'stretch' }), badOption);
    assert.throws(() => resolvePreprocessing({ size: [5, 5], channels: 4 as 3 }), badOption);
  });
});
