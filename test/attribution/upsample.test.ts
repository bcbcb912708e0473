import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linearTaps, nearestIndices, upsample, upsampleBilinear, upsampleNearest } from '../../src/attribution/upsample.js';
import { isLucernaError } from '../../src/errors.js';
import { tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { oracle, reference } from '../helpers/oracle.js';

describe('bilinear upsampling matches Captum LayerAttribution.interpolate', () => {
  for (const c of oracle().cases) {
    for (const map of ['layer_gradcam', 'layer_gradcam_relu']) {
      it(`${c.id} ${map}`, () => {
        const expected = reference(c, `${map}_upsampled_bilinear`);
        const actual = upsampleBilinear(reference(c, map), [expected.shape[2] as number, expected.shape[3] as number]);
        assertClose(actual, expected, 1e-6, `${c.id} ${map}`);
      });
    }
  }
});

describe('bilinear upsampling by hand', () => {
  it('interpolates between pixel centres and clamps at the borders', () => {
    const out = upsampleBilinear(tensor([0, 1], [1, 1, 1, 2]), [1, 4]);
    assert.deepEqual([...out.data], [0, 0.25, 0.75, 1]);
    assert.deepEqual(out.shape, [1, 1, 1, 4]);
  });
  it('mixes rows and columns', () => {
    const out = upsampleBilinear(tensor([0, 1, 2, 3], [1, 1, 2, 2]), [4, 4]);
    // value = 2·row + col on the source grid, sampled at 0, 0.25, 0.75, 1 per axis.
    const axis = [0, 0.25, 0.75, 1];
    const expected = axis.flatMap((r) => axis.map((col) => 2 * r + col));
    assert.deepEqual([...out.data], expected);
  });
  it('keeps the values at the same size, per plane', () => {
    const t = tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 1, 2, 2]);
    assert.deepEqual([...upsampleBilinear(t, [2, 2]).data], [...t.data]);
  });
  it('taps follow align_corners=False', () => {
    assert.deepEqual(
      linearTaps(2, 4).map((t) => [t.i0, t.i1, t.lambda1]),
      [
        [0, 1, 0],
        [0, 1, 0.25],
        [0, 1, 0.75],
        [1, 1, 0.25],
      ],
    );
  });
});

describe('nearest upsampling (torch legacy nearest: floor(dst·in/out))', () => {
  it('source indices', () => {
    assert.deepEqual(nearestIndices(2, 5), [0, 0, 0, 1, 1]);
    assert.deepEqual(nearestIndices(3, 7), [0, 0, 0, 1, 1, 2, 2]);
    assert.deepEqual(nearestIndices(2, 4), [0, 0, 1, 1]);
    assert.deepEqual(nearestIndices(4, 4), [0, 1, 2, 3]);
    assert.deepEqual(nearestIndices(4, 2), [0, 2]);
  });
  it('a 2×2 map to 3×3', () => {
    const out = upsampleNearest(tensor([1, 2, 3, 4], [1, 1, 2, 2]), [3, 3]);
    assert.deepEqual([...out.data], [1, 1, 2, 1, 1, 2, 3, 3, 4]);
    assert.deepEqual(out.shape, [1, 1, 3, 3]);
  });
  it('every plane of a batch separately', () => {
    const out = upsampleNearest(tensor([1, 2, 3, 4, 5, 6], [2, 1, 1, 3]), [1, 6]);
    assert.deepEqual([...out.data], [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
    assert.deepEqual(out.shape, [2, 1, 1, 6]);
  });
  it('upsample() dispatches on the mode', () => {
    const t = tensor([1, 2], [1, 1, 1, 2]);
    assert.deepEqual([...upsample(t, [1, 4], 'nearest').data], [1, 1, 2, 2]);
    assert.deepEqual([...upsample(t, [1, 4], 'bilinear').data], [1, 1.25, 1.75, 2]);
  });
  it('rejects a tensor that is not 4-D and a bad size', () => {
    assert.throws(
      () => upsampleNearest(tensor([1, 2], [1, 2]), [2, 2]),
      (e) => isLucernaError(e, 'BAD_SHAPE'),
    );
    assert.throws(
      () => upsampleBilinear(tensor([1], [1, 1, 1, 1]), [0, 2]),
      (e) => isLucernaError(e, 'BAD_OPTION'),
    );
  });
});
