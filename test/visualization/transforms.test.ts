/**
 * Transforms as ONNX nodes: each matches a direct TypeScript resampling of the same random draw.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeRuntime } from '../../src/engine/node.js';
import { emptyGraph, GraphBuilder } from '../../src/onnx/builder.js';
import { DataType, encodeModel } from '../../src/onnx/proto.js';
import { COMPILER_OPSET } from '../../src/onnx/upgrade.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { applyTransforms, jitter, pad, resizeTo, rotate, scale, standardTransforms, type Transform } from '../../src/visualization/transforms.js';

type Shape4 = [number, number, number, number];

async function runTransforms(image: Tensor, transforms: readonly Transform[], uniform: () => number): Promise<Tensor> {
  const shape = image.shape as Shape4;
  const g = emptyGraph(COMPILER_OPSET);
  g.inputs = [{ name: 'image', elemType: DataType.FLOAT, dims: shape }];
  const b = new GraphBuilder(g, 't');
  const { image: out, randoms } = applyTransforms(b, { name: 'image', shape }, transforms);
  g.inputs.push(...randoms.map((r) => ({ name: r.name, elemType: DataType.FLOAT, dims: [...r.shape] })));
  g.outputs = [{ name: out.name, elemType: DataType.FLOAT, dims: [...out.shape] }];
  const session = await nodeRuntime.createSession(encodeModel(g.toModel()));
  try {
    const feeds: Record<string, { data: Float32Array; shape: readonly number[] }> = { image };
    for (const r of randoms) feeds[r.name] = { data: r.draw(uniform), shape: r.shape };
    const result = await session.run(feeds);
    const t = result[out.name];
    return { data: Float32Array.from(t?.data as Float32Array), shape: [...(t?.dims ?? [])] };
  } finally {
    await session.dispose();
  }
}

/** A smooth test image: different low-frequency waves per channel. */
function smoothImage(n: number, h: number, w: number): Tensor {
  const data = new Float32Array(n * 3 * h * w);
  for (let b = 0; b < n; b++)
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          data[((b * 3 + c) * h + y) * w + x] = 0.5 + 0.4 * Math.sin((2 * Math.PI * (x + 2 * c + b)) / 19) * Math.cos((2 * Math.PI * (y - c)) / 23);
  return { data, shape: [n, 3, h, w] };
}

/** Bilinear sample of channel plane `p` at (sy, sx), 0 outside. */
function bilinear(t: Tensor, p: number, sy: number, sx: number): number {
  const [, , h, w] = t.shape as Shape4;
  let v = 0;
  for (let y = Math.floor(sy); y <= Math.floor(sy) + 1; y++) {
    for (let x = Math.floor(sx); x <= Math.floor(sx) + 1; x++) {
      if (y < 0 || y >= h || x < 0 || x >= w) continue;
      v += Math.max(0, 1 - Math.abs(sy - y)) * Math.max(0, 1 - Math.abs(sx - x)) * (t.data[p * h * w + y * w + x] as number);
    }
  }
  return v;
}

/** out(y, x) = in(source(y, x)), bilinear, for every plane. */
function resample(t: Tensor, source: (y: number, x: number) => [number, number]): Float32Array {
  const [n, c, h, w] = t.shape as Shape4;
  const out = new Float32Array(t.data.length);
  for (let p = 0; p < n * c; p++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const [sy, sx] = source(y, x);
        out[p * h * w + y * w + x] = bilinear(t, p, sy, sx);
      }
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>, keep: (i: number) => boolean = () => true): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (keep(i)) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('transforms', () => {
  const image = smoothImage(2, 20, 24);

  it('jitter shifts by whole pixels with zero fill', async () => {
    const draws = [0.95, 0.1]; // dy = floor(0.95·7) − 3 = 3, dx = floor(0.1·7) − 3 = −3
    let k = 0;
    const out = await runTransforms(image, [jitter(3)], () => draws[k++ % 2] as number);
    assert.deepEqual(out.shape, image.shape);
    assert.ok(
      maxDiff(
        out.data,
        resample(image, (y, x) => [y - 3, x + 3]),
      ) < 1e-6,
    );
  });

  it('pad adds a constant border', async () => {
    const out = await runTransforms(image, [pad(2, 0.5)], Math.random);
    assert.deepEqual(out.shape, [2, 3, 24, 28]);
    assert.equal(out.data[0], 0.5);
    assert.equal(out.data[2 * 28 + 2], image.data[0]);
  });

  it('scale zooms about the centre (bilinear)', async () => {
    const out = await runTransforms(image, [scale(0.8, 1.2)], () => 0.75); // s = 1.1
    const s = 1.1;
    const [cy, cx] = [(20 - 1) / 2, (24 - 1) / 2];
    assert.ok(
      maxDiff(
        out.data,
        resample(image, (y, x) => [cy + (y - cy) / s, cx + (x - cx) / s]),
      ) < 1e-5,
    );
  });

  it('rotate by three shears matches a direct bilinear rotation away from the borders', async () => {
    const out = await runTransforms(image, [rotate(20)], () => 0.9); // θ = 0.8 · 20° = 16°
    const t = (16 * Math.PI) / 180;
    const [cy, cx] = [(20 - 1) / 2, (24 - 1) / 2];
    const expected = resample(image, (y, x) => [cy + Math.sin(t) * (x - cx) + Math.cos(t) * (y - cy), cx + Math.cos(t) * (x - cx) - Math.sin(t) * (y - cy)]);
    const interior = (i: number) => {
      const y = Math.floor(i / 24) % 20;
      const x = i % 24;
      return Math.hypot(y - cy, x - cx) < 7;
    };
    assert.ok(maxDiff(out.data, expected, interior) < 0.03, `rotation error ${maxDiff(out.data, expected, interior)}`);
    const unrotated = maxDiff(out.data, image.data, interior);
    assert.ok(unrotated > 0.1, `the image moved (${unrotated})`);
  });

  it('scale with a folded jitter and an output size samples the shifted, zoomed, resized image', async () => {
    const draws = [0.75, 0.9, 0.2]; // s = 1.1, then dy = floor(0.9·9) − 4 = 4, dx = floor(0.2·9) − 4 = −3
    let k = 0;
    const out = await runTransforms(image, [scale(0.8, 1.2, { jitter: 4, size: [15, 18] })], () => draws[k++ % 3] as number);
    assert.deepEqual(out.shape, [2, 3, 15, 18]);
    const ry = 20 / 15;
    const rx = 24 / 18;
    const expected = resample({ data: image.data, shape: image.shape }, (y, x) => [9.5 + ((y - 7) * ry) / 1.1 - 4, 11.5 + ((x - 8.5) * rx) / 1.1 + 3]);
    const planes = new Float32Array(out.data.length);
    // resample() keeps the input size; pick its [15, 18] corner, where the formula was evaluated
    for (let p = 0; p < 6; p++)
      for (let y = 0; y < 15; y++) for (let x = 0; x < 18; x++) planes[p * 270 + y * 18 + x] = expected[p * 480 + y * 24 + x] as number;
    assert.ok(maxDiff(out.data, planes) < 1e-5, `error ${maxDiff(out.data, planes)}`);
  });

  it('rotate with a folded jitter equals rotating then shifting, away from the borders', async () => {
    const draws = [0.9, 0.95, 0.1]; // θ = 16°, ty = floor(0.95·7) − 3 = 3, tx = floor(0.1·7) − 3 = −3
    let k = 0;
    const fused = await runTransforms(image, [rotate(20, { jitter: 3 })], () => draws[k++ % 3] as number);
    const rotated = await runTransforms(image, [rotate(20)], () => 0.9);
    const shifted = resample({ data: rotated.data, shape: rotated.shape }, (y, x) => [y - 3, x + 3]);
    const [cy, cx] = [(20 - 1) / 2, (24 - 1) / 2];
    const interior = (i: number) => Math.hypot((Math.floor(i / 24) % 20) - cy, (i % 24) - cx) < 5;
    assert.ok(maxDiff(fused.data, shifted, interior) < 0.03, `error ${maxDiff(fused.data, shifted, interior)}`);
    assert.ok(maxDiff(fused.data, rotated.data, interior) > 0.05, 'the jitter moved the image');
  });

  it('resizeTo and the standard list keep the batch and end at the asked size', async () => {
    const standard = await runTransforms(image, standardTransforms([20, 24]), Math.random);
    assert.deepEqual(standard.shape, [2, 3, 20, 24]);
    const out = await runTransforms(image, [pad(3), resizeTo(16, 16)], Math.random);
    assert.deepEqual(out.shape, [2, 3, 16, 16]);
    assert.ok(out.data.every(Number.isFinite));
  });

  it('bad settings are one-line errors', () => {
    assert.throws(() => rotate(60), /Rotations up to 60° are not supported/);
    assert.throws(() => scale(1.2, 1.1), /scale range \[1.2, 1.1\] is empty/);
    assert.throws(() => jitter(-1), /jitter must be a number ≥ 0/);
  });
});
