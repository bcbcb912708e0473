/**
 * Parameterizations: the inverse DFT matrices against the direct sum, the 1/f scale, the colour
 * matrix, and the emitted graphs against TypeScript.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Model } from '../../src/engine/model.js';
import { seededRandom } from '../../src/tensor/random.js';
import { channel } from '../../src/visualization/objectives.js';
import { binFrequency, COLOR_DECORRELATION, imageParameterization, inverseDftMatrices, spectrumScale } from '../../src/visualization/parameterizations.js';
import { compileImageProgram } from '../../src/visualization/program.js';
import { loadEdgeModel, SHALLOW_LAYER } from './models.js';

function matmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) out[i * n + j] = (out[i * n + j] as number) + (a[i * k + p] as number) * (b[p * n + j] as number);
  return out;
}

/** image = [Cy | −Sy] · stack(P · columns) with P = [A | B], computed in TypeScript. */
function viaMatrices(p: Float64Array, h: number, w: number): Float64Array {
  const wf = Math.floor(w / 2) + 1;
  const { columns, rows } = inverseDftMatrices(h, w);
  const mixed = matmul(p, columns, h, 2 * wf, 2 * w);
  const stacked = new Float64Array(2 * h * w);
  for (let r = 0; r < h; r++) {
    stacked.set(mixed.subarray(r * 2 * w, r * 2 * w + w), r * w);
    stacked.set(mixed.subarray(r * 2 * w + w, (r + 1) * 2 * w), (h + r) * w);
  }
  return matmul(rows, stacked, h, 2 * h, w);
}

/** Σ A cos(θ) − B sin(θ), θ = 2π(ky·y/h + kx·x/w): the real part of the inverse DFT of A + iB. */
function direct(p: Float64Array, h: number, w: number): Float64Array {
  const wf = Math.floor(w / 2) + 1;
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ky = 0; ky < h; ky++)
        for (let kx = 0; kx < wf; kx++) {
          const t = 2 * Math.PI * ((ky * y) / h + (kx * x) / w);
          out[y * w + x] = (out[y * w + x] as number) + (p[ky * 2 * wf + kx] as number) * Math.cos(t) - (p[ky * 2 * wf + wf + kx] as number) * Math.sin(t);
        }
  return out;
}

describe('parameterizations', () => {
  it('the inverse DFT matrices compute the real part of the inverse DFT (even and odd sizes)', () => {
    for (const [h, w] of [
      [6, 5],
      [4, 8],
      [7, 7],
    ] as const) {
      const u = seededRandom(h * 10 + w);
      const p = Float64Array.from({ length: h * 2 * (Math.floor(w / 2) + 1) }, () => u() - 0.5);
      const a = viaMatrices(p, h, w);
      const b = direct(p, h, w);
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs((a[i] as number) - (b[i] as number)) < 1e-5, `${h}×${w} at ${i}`);
    }
  });

  it('the spectrum scale is 1/f, 1/4 for the constant of a square image, and symmetric in ±fy', () => {
    const s = spectrumScale(16, 16);
    const wf = 9;
    assert.ok(Math.abs((s[0] as number) - 0.25) < 1e-7);
    assert.ok(Math.abs((s[1] as number) - 0.25) < 1e-7, 'the lowest frequency is clamped to 1/max(h, w)');
    assert.ok(Math.abs((s[2] as number) - 0.125) < 1e-7);
    assert.equal(s[3 * wf + 2], s[13 * wf + 2]);
    assert.equal(binFrequency(13, 16), 3 / 16);
  });

  it('the colour matrix has largest column norm 1', () => {
    const norms = [0, 1, 2].map((c) =>
      Math.hypot(COLOR_DECORRELATION[c] as number, COLOR_DECORRELATION[3 + c] as number, COLOR_DECORRELATION[6 + c] as number),
    );
    assert.ok(Math.abs(Math.max(...norms) - 1) < 1e-9);
  });

  describe('in the graph', () => {
    let model: Model;
    before(async () => {
      model = await loadEdgeModel(8);
    });
    after(() => model.dispose());
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

    it('pixel: the image is sigmoid(p); with decorrelation, sigmoid(M · p) per pixel', async () => {
      for (const decorrelate of [false, true]) {
        const param = imageParameterization(1, [8, 8], { spatial: 'pixel', decorrelate });
        await using program = await compileImageProgram(model, { parameterization: param, objective: channel(SHALLOW_LAYER, 0) });
        const u = seededRandom(1);
        const p = Float32Array.from({ length: 192 }, () => 2 * u() - 1);
        const image = await program.render(p);
        for (let i = 0; i < 64; i++) {
          for (let c = 0; c < 3; c++) {
            const pre = decorrelate
              ? [0, 1, 2].reduce((s, d) => s + (COLOR_DECORRELATION[c * 3 + d] as number) * (p[d * 64 + i] as number), 0)
              : (p[c * 64 + i] as number);
            assert.ok(Math.abs((image[c * 64 + i] as number) - sigmoid(pre)) < 1e-5);
          }
        }
      }
    });

    it('fourier: the image is sigmoid of the scaled inverse DFT', async () => {
      const param = imageParameterization(1, [8, 8], { spatial: 'fourier', decorrelate: false });
      assert.deepEqual([...param.shape], [1, 3, 8, 10]);
      await using program = await compileImageProgram(model, { parameterization: param, objective: channel(SHALLOW_LAYER, 0) });
      const u = seededRandom(2);
      const p = Float32Array.from({ length: 240 }, () => 2 * u() - 1);
      const image = await program.render(p);
      const scale = spectrumScale(8, 8);
      for (let c = 0; c < 3; c++) {
        const scaled = Float64Array.from({ length: 80 }, (_, i) => (p[c * 80 + i] as number) * (scale[Math.floor(i / 10) * 5 + ((i % 10) % 5)] as number));
        const expected = direct(scaled, 8, 8);
        for (let i = 0; i < 64; i++) assert.ok(Math.abs((image[c * 64 + i] as number) - sigmoid(expected[i] as number)) < 1e-5);
      }
    });
  });
});
