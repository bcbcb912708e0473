/**
 * A map as a stand-alone PNG (`attribute --out x.png --mode …`): the map's pixels on top, a colour
 * bar with the real values under it for the modes that colour the map, magnitudes only for masked
 * and alpha-scaling, and a clear error when a mode needs an image that is not there.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLucernaError } from '../../src/errors.js';
import { decodeRgb } from '../../src/io/image.js';
import { colormapLut } from '../../src/render/colormap.js';
import { renderHeatmap } from '../../src/render/heatmap.js';
import { mapPng } from '../../src/render/png.js';
import { tensor } from '../../src/tensor/tensor.js';

const W = 8;
const H = 6;
/** A signed ramp: −1 … 1 across the columns. */
const ramp = tensor(
  Array.from({ length: W * H }, (_, i) => -1 + (2 * (i % W)) / (W - 1)),
  [1, 1, H, W],
);
const image = { rgb: new Uint8Array(W * H * 3).fill(200), width: W, height: H };

function pixel(rgb: Uint8Array, width: number, x: number, y: number): number[] {
  return [...rgb.subarray((y * width + x) * 3, (y * width + x) * 3 + 3)];
}

describe('mapPng', () => {
  it('heatmap: the map on top, a 200 px colour bar from blue (−1) to red (+1) under it', async () => {
    const { png, overlay } = await mapPng(ramp, { mode: 'heatmap' });
    const decoded = await decodeRgb(png);
    assert.equal(decoded.width, 200);
    assert.ok(decoded.height > H + 4 + 10, `height ${decoded.height}`);
    const heat = renderHeatmap(ramp, { range: overlay.range });
    const left = Math.floor((200 - W) / 2);
    for (const [x, y] of [
      [0, 0],
      [W - 1, H - 1],
      [3, 2],
    ] as const) {
      assert.deepEqual(pixel(decoded.rgb, 200, left + x, y), pixel(heat.rgb, W, x, y), `map pixel ${x},${y}`);
    }
    // The bar's gradient runs from the colormap's low end at the left to its high end at the right.
    const lut = colormapLut('rdbu');
    const barY = H + 4 + 5;
    const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - (b[i] as number)) <= 12);
    assert.ok(near(pixel(decoded.rgb, 200, 16, barY), [...lut.subarray(0, 3)]), `left end ${pixel(decoded.rgb, 200, 16, barY)}`);
    assert.ok(near(pixel(decoded.rgb, 200, 183, barY), [...lut.subarray(255 * 3, 256 * 3)]), `right end ${pixel(decoded.rgb, 200, 183, barY)}`);
  });

  it('blended: over the image, with a colour bar', async () => {
    const { png, overlay } = await mapPng(ramp, { mode: 'blended', image });
    assert.equal(overlay.mode, 'blended');
    assert.equal((await decodeRgb(png)).width, 200);
  });

  it('masked: magnitudes (the positive part of a signed map), the image only, no colour bar', async () => {
    const { png, overlay } = await mapPng(ramp, { mode: 'masked', image });
    assert.equal(overlay.sign, 'positive');
    const decoded = await decodeRgb(png);
    assert.deepEqual([decoded.width, decoded.height], [W, H]);
    assert.deepEqual(pixel(decoded.rgb, W, 0, 0), [0, 0, 0], 'negative evidence masked out');
    assert.deepEqual(pixel(decoded.rgb, W, W - 1, 0), [200, 200, 200], 'the strongest pixel kept');
  });

  it('a mode that needs the image, without one, is a clear error', async () => {
    await assert.rejects(mapPng(ramp, { mode: 'alpha-scaling' }), (e) => isLucernaError(e, 'BAD_OPTION') && /not an image/.test(e.message));
  });

  it('can leave the colour bar out', async () => {
    const { png } = await mapPng(ramp, { mode: 'heatmap', colorBar: false });
    const decoded = await decodeRgb(png);
    assert.deepEqual([decoded.width, decoded.height], [W, H]);
  });
});
