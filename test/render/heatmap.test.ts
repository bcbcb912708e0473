/**
 * Heatmaps and overlays: the four modes, the four signs, colormaps, percentile scaling robust to
 * outliers, shared scales across maps, and the errors for misuse.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ColormapName, colormapLut } from '../../src/render/colormap.js';
import { type RgbPixels, renderHeatmap } from '../../src/render/heatmap.js';
import { blend, grayscale, renderOverlay } from '../../src/render/overlay.js';
import { fixedRange, sharedDisplayRange } from '../../src/render/scale.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const plane = (values: number[], width = values.length): Tensor => ({ data: Float32Array.from(values), shape: [1, 1, values.length / width, width] });

function pixel(p: RgbPixels, i: number): number[] {
  return [...p.rgb.subarray(i * 3, i * 3 + 3)];
}

function lutColor(name: ColormapName, t: number): number[] {
  const k = Math.round(t * 255) * 3;
  return [...colormapLut(name).subarray(k, k + 3)];
}

/** A solid image of `width × 1` pixels. */
function solid(width: number, rgb: [number, number, number]): RgbPixels {
  const data = new Uint8Array(width * 3);
  for (let i = 0; i < data.length; i++) data[i] = rgb[i % 3] as number;
  return { rgb: data, width, height: 1 };
}

describe('renderHeatmap', () => {
  it('signed maps (sign all) are diverging and centred: −s, 0, +s get the ends and the middle of RdBu', () => {
    const heat = renderHeatmap(plane([-2, 0, 2]), { sign: 'all', scale: 2 });
    assert.equal(heat.colormap, 'rdbu');
    assert.deepEqual([heat.range.lo, heat.range.hi], [-2, 2]);
    assert.deepEqual(pixel(heat, 0), lutColor('rdbu', 0));
    assert.deepEqual(pixel(heat, 1), lutColor('rdbu', 0.5));
    assert.deepEqual(pixel(heat, 2), lutColor('rdbu', 1));
    // Positive is red, negative blue.
    assert.ok(pixel(heat, 2)[0]! > pixel(heat, 2)[2]!);
    assert.ok(pixel(heat, 0)[2]! > pixel(heat, 0)[0]!);
  });

  it('positive, negative and absolute show one side on a sequential map', () => {
    const values = [-2, -1, 0, 1, 2];
    const pos = renderHeatmap(plane(values), { sign: 'positive', scale: 2 });
    const neg = renderHeatmap(plane(values), { sign: 'negative', scale: 2 });
    const abs = renderHeatmap(plane(values), { sign: 'absolute', scale: 2, colormap: 'viridis' });
    assert.equal(pos.colormap, 'inferno');
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((i) => pixel(pos, i)),
      [0, 0, 0, 0.5, 1].map((t) => lutColor('inferno', t)),
    );
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((i) => pixel(neg, i)),
      [1, 0.5, 0, 0, 0].map((t) => lutColor('inferno', t)),
    );
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((i) => pixel(abs, i)),
      [1, 0.5, 0, 0.5, 1].map((t) => lutColor('viridis', t)),
    );
  });

  it('each of viridis, inferno, turbo and RdBu colours the top of the range with its own end colour', () => {
    for (const colormap of ['viridis', 'inferno', 'turbo', 'rdbu'] as const) {
      const heat = renderHeatmap(plane([0, 1]), { sign: 'positive', scale: 1, colormap });
      assert.deepEqual(pixel(heat, 1), lutColor(colormap, 1), colormap);
      assert.deepEqual(pixel(heat, 0), lutColor(colormap, 0), colormap);
    }
  });

  it('chooses the sign from the data when none is given, as before', () => {
    assert.equal(renderHeatmap(plane([0, 1])).sign, 'positive');
    assert.equal(renderHeatmap(plane([-1, 1])).sign, 'all');
    assert.equal(renderHeatmap(plane([-1, 1])).signed, true);
  });

  it('scales by the 99th percentile by default, so one outlier does not wash the map out, and reports the clipping', () => {
    const values = Array.from({ length: 200 }, (_, i) => (i === 0 ? 1000 : 1));
    const heat = renderHeatmap(plane(values, 20), { sign: 'positive' });
    assert.equal(heat.range.percentile, 99);
    assert.equal(heat.scale, 1);
    assert.deepEqual(pixel(heat, 5), lutColor('inferno', 1), 'the bulk gets full colour');
    assert.equal(heat.clipped, 1 / 200);
    const maxScaled = renderHeatmap(plane(values, 20), { sign: 'positive', percentile: 100 });
    assert.equal(maxScaled.scale, 1000);
    assert.deepEqual(pixel(maxScaled, 5), lutColor('inferno', 0), 'max scaling would make the bulk black');
  });

  it('a shared range keeps magnitudes comparable: the same value gets the same colour in both maps', () => {
    const strong = plane([0, 4]);
    const weak = plane([0, 1]);
    const range = sharedDisplayRange([strong.data, weak.data], { sign: 'positive', percentile: 100 });
    const a = renderHeatmap(strong, { range });
    const b = renderHeatmap(weak, { range });
    assert.equal(a.range, range);
    assert.deepEqual(pixel(b, 1), lutColor('inferno', 0.25));
    assert.deepEqual(pixel(renderHeatmap(plane([1, 0]), { range }), 0), pixel(b, 1));
    assert.notDeepEqual(pixel(renderHeatmap(weak, { sign: 'positive', percentile: 100 }), 1), pixel(b, 1), 'per-map scaling would differ');
  });

  it('rejects a range computed for another sign, and tensors with more than one plane', () => {
    assert.throws(() => renderHeatmap(plane([1]), { sign: 'all', range: fixedRange('positive', 1) }), /computed for sign "positive"/);
    assert.throws(() => renderHeatmap({ data: new Float32Array(8), shape: [1, 2, 2, 2] }), /one plane/);
  });
});

describe('renderOverlay', () => {
  const image = { rgb: Uint8Array.from([200, 100, 0, 0, 100, 200, 50, 50, 50, 255, 255, 255]), width: 4, height: 1 };
  const map = plane([0, 1, 2, 4]);

  it('heatmap mode is the heatmap alone', () => {
    const o = renderOverlay(map, undefined, { mode: 'heatmap', sign: 'positive', scale: 4 });
    assert.deepEqual(o.rgb, renderHeatmap(map, { sign: 'positive', scale: 4 }).rgb);
    assert.equal(o.mode, 'heatmap');
  });

  it('blended mode mixes the heatmap with alpha over the grey (or colour) image', () => {
    const heat = renderHeatmap(map, { sign: 'positive', scale: 4, colormap: 'viridis' });
    const o = renderOverlay(map, image, { mode: 'blended', sign: 'positive', scale: 4, colormap: 'viridis', alpha: 0.3 });
    assert.deepEqual(o.rgb, blend(grayscale(image.rgb), heat.rgb, 0.3));
    const colour = renderOverlay(map, image, { mode: 'blended', sign: 'positive', scale: 4, colormap: 'viridis', alpha: 0.3, base: 'color' });
    assert.equal(colour.rgb[0], Math.round(0.7 * 200 + 0.3 * (heat.rgb[0] as number)));
    assert.deepEqual(renderOverlay(map, image, { mode: 'blended', alpha: 0, sign: 'positive' }).rgb, grayscale(image.rgb), 'alpha 0 is the image');
    assert.deepEqual(
      renderOverlay(map, image, { mode: 'blended', alpha: 1, sign: 'positive', scale: 4, colormap: 'viridis' }).rgb,
      heat.rgb,
      'alpha 1 is the map',
    );
    assert.deepEqual(o.range, heat.range);
  });

  it('masked mode keeps the top k% of pixels and blacks out the rest', () => {
    const o = renderOverlay(map, image, { mode: 'masked', sign: 'positive', keep: 50 });
    assert.deepEqual(pixel(o, 0), [0, 0, 0]);
    assert.deepEqual(pixel(o, 1), [0, 0, 0]);
    assert.deepEqual(pixel(o, 2), pixel(image, 2));
    assert.deepEqual(pixel(o, 3), pixel(image, 3));
    assert.equal(o.mask?.kept, 0.5);
    assert.equal(o.mask?.threshold, 1.5);
    const negative = renderOverlay(plane([-4, -1, 0, 3]), image, { mode: 'masked', sign: 'negative', keep: 25 });
    assert.deepEqual(pixel(negative, 0), pixel(image, 0), 'the strongest negative pixel is kept for sign negative');
    assert.deepEqual(pixel(negative, 3), [0, 0, 0]);
  });

  it('alpha-scaling makes each pixel as opaque as its value over the background', () => {
    const o = renderOverlay(map, image, { mode: 'alpha-scaling', sign: 'positive', scale: 4 });
    assert.deepEqual(pixel(o, 0), [255, 255, 255], 'zero is transparent');
    assert.deepEqual(pixel(o, 3), pixel(image, 3), 'the top is opaque');
    assert.deepEqual(pixel(o, 2), [Math.round(0.5 * 255 + 0.5 * 50), Math.round(0.5 * 255 + 0.5 * 50), Math.round(0.5 * 255 + 0.5 * 50)]);
    const black = renderOverlay(map, image, { mode: 'alpha-scaling', sign: 'positive', scale: 4, background: [0, 0, 0] });
    assert.deepEqual(pixel(black, 1), [Math.round(0.25 * 0), Math.round(0.25 * 100), Math.round(0.25 * 200)]);
  });

  it('masked and alpha-scaling modes need a one-sided sign; the map and image sizes must match', () => {
    assert.throws(() => renderOverlay(map, image, { mode: 'masked', sign: 'all' }), /use sign positive, negative or absolute/);
    assert.throws(() => renderOverlay(map, image, { mode: 'alpha-scaling', sign: 'all' }), /not all/);
    assert.throws(() => renderOverlay(plane([1, 2]), image, { mode: 'blended' }), /map is 2×1 but the image is 4×1/);
    assert.throws(() => renderOverlay(map, undefined, { mode: 'blended' }), /needs the image/);
    assert.throws(() => renderOverlay(map, image, { mode: 'sparkles' as never }), /Unknown overlay mode/);
    assert.throws(() => renderOverlay(map, image, { mode: 'blended', alpha: 2 }), /alpha must be in \[0, 1\]/);
    assert.throws(() => renderOverlay(map, solid(4, [0, 0, 0]), { mode: 'masked', sign: 'positive', keep: 0 }), /keep must be a percentage/);
  });
});
