/**
 * Colour bars carry the real values of a map's range; the pixel strip and the canvas path draw the
 * same colours as the heatmaps.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drawPixels, toRgba } from '../../src/render/canvas.js';
import { colorBarPixels, colorBarSvg, colorBarTicks } from '../../src/render/colorbar.js';
import { colormapLut } from '../../src/render/colormap.js';
import { renderHeatmap } from '../../src/render/heatmap.js';
import { fixedRange } from '../../src/render/scale.js';

describe('colorBarTicks', () => {
  it('labels evenly spaced real values from the bottom to the top of the range', () => {
    const heat = renderHeatmap({ data: Float32Array.from([-0.5, 0.25, 0.5]), shape: [1, 3] }, { sign: 'all', percentile: 100 });
    const ticks = colorBarTicks(heat.range, 5);
    assert.deepEqual(
      ticks.map((t) => [t.value, t.position, t.label]),
      [
        [-0.5, 0, '-0.5'],
        [-0.25, 0.25, '-0.25'],
        [0, 0.5, '0'],
        [0.25, 0.75, '0.25'],
        [0.5, 1, '0.5'],
      ],
    );
  });

  it('marks clipped ends with ≤ and ≥, and a constant map as constant', () => {
    const ticks = colorBarTicks(fixedRange('positive', 3), 3, { high: true });
    assert.deepEqual(
      ticks.map((t) => t.label),
      ['0', '1.5', '≥ 3'],
    );
    assert.deepEqual(
      colorBarTicks(fixedRange('all', 2), 3, { low: true, high: true }).map((t) => t.label),
      ['≤ -2', '0', '≥ 2'],
    );
    assert.deepEqual(
      colorBarTicks(fixedRange('positive', 0), 5).map((t) => t.label),
      ['0 (constant)'],
    );
    assert.throws(() => colorBarTicks(fixedRange('positive', 1), 1), /at least 2 ticks/);
  });
});

describe('colorBarSvg', () => {
  it('is an inline SVG with the gradient of the colormap and the real values as text, and no URL', () => {
    const svg = colorBarSvg({
      colormap: 'viridis',
      range: fixedRange('positive', 0.004),
      id: 'a b',
      ticks: 3,
      caption: 'logit units',
      clipped: { high: true },
    });
    assert.match(svg, /^<svg class="colorbar"/);
    assert.ok(svg.includes('id="cb-a_b"') && svg.includes('url(#cb-a_b)'), 'gradient id sanitised and referenced by fragment');
    for (const label of ['>0<', '>0.002<', '>≥ 0.004<', '>logit units<']) assert.ok(svg.includes(label), label);
    const lut = colormapLut('viridis');
    const hex = (k: number) => `#${[...lut.subarray(k * 3, k * 3 + 3)].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
    assert.ok(svg.includes(`stop-color="${hex(0)}"`) && svg.includes(`stop-color="${hex(255)}"`));
    assert.doesNotMatch(svg, /https?:|xmlns/);
  });

  it('escapes caption text', () => {
    assert.ok(colorBarSvg({ colormap: 'rdbu', range: fixedRange('all', 1), id: 'x', caption: '<b>&' }).includes('&lt;b&gt;&amp;'));
  });
});

describe('colorBarPixels and the canvas path', () => {
  it('runs from the low end colour on the left to the high end on the right', () => {
    const bar = colorBarPixels('inferno', 256, 2);
    const lut = colormapLut('inferno');
    assert.deepEqual([...bar.rgb.subarray(0, 3)], [...lut.subarray(0, 3)]);
    assert.deepEqual([...bar.rgb.subarray(255 * 3, 256 * 3)], [...lut.subarray(255 * 3, 256 * 3)]);
    assert.deepEqual([...bar.rgb.subarray(256 * 3, 257 * 3)], [...lut.subarray(0, 3)], 'second row repeats the first');
  });

  it('draws the same pixels to a canvas as RGBA with full opacity', () => {
    const heat = renderHeatmap({ data: Float32Array.from([0, 1]), shape: [1, 2] }, { sign: 'positive', scale: 1 });
    assert.deepEqual([...toRgba(heat.rgb)], [...heat.rgb.subarray(0, 3), 255, ...heat.rgb.subarray(3, 6), 255]);
    const calls: unknown[] = [];
    const ctx = {
      createImageData: (w: number, h: number) => ({ data: new Uint8ClampedArray(w * h * 4), width: w, height: h }),
      putImageData: (image: { data: Uint8ClampedArray }, x: number, y: number) => calls.push([[...image.data], x, y]),
    };
    drawPixels(ctx, heat, 3, 4);
    assert.deepEqual(calls, [[[...toRgba(heat.rgb)], 3, 4]]);
  });
});
