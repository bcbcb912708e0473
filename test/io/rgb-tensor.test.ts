/**
 * rgbToTensor's three-channel path (a normalised table per colour, written straight to the layout)
 * gives bit for bit the values of the per-pixel formula `(v / 255 − mean) / std`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveNormalization, rgbToTensor } from '../../src/io/preprocess.js';

describe('rgbToTensor', () => {
  it('equals the per-pixel formula for every normalisation, layout and channel order', () => {
    const [w, h] = [7, 5];
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 97 + 13) % 256);
    rgb.set([0, 255, 128], 0);
    const norms = ['imagenet', 'unit', 'symmetric', { mean: [124.6901, 118.6897, 109.5388], std: [57.12, 57.12, 57.12], range: 255 }] as const;
    for (const normalization of norms)
      for (const layout of ['NCHW', 'NHWC'] as const)
        for (const channelOrder of ['RGB', 'BGR'] as const) {
          const t = rgbToTensor(rgb, w, h, { normalization, layout, channelOrder, channels: 3 });
          const { mean, std } = resolveNormalization(normalization, 3);
          const order = channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
          const ref = new Float32Array(w * h * 3);
          for (let p = 0; p < w * h; p++)
            for (let c = 0; c < 3; c++) {
              const col = order[c] as number;
              ref[layout === 'NHWC' ? p * 3 + c : c * w * h + p] = ((rgb[p * 3 + col] as number) / 255 - (mean[col] as number)) / (std[col] as number);
            }
          assert.deepEqual(t.shape, layout === 'NHWC' ? [1, h, w, 3] : [1, 3, h, w]);
          assert.deepEqual(t.data, ref, `${JSON.stringify(normalization)} ${layout} ${channelOrder}`);
        }
  });
});
