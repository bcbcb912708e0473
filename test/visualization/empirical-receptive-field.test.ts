/**
 * The empirical receptive field (Zhou et al. 2015), on a model whose field is known exactly: a 4×4
 * mean filter at stride 4, so a unit looks at its 4×4 block of the input and nothing else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { buildModel } from '../../src/onnx/builder.js';
import { channelMeans, empiricalReceptiveField, fieldArea, firingPeaks, occlude, occluderCorners } from '../../src/visualization/empirical-receptive-field.js';

/** 1×16×16 → conv 4×4 stride 4 (channel 0: the block mean; channel 1: minus it) → ReLU, 4×4 maps. */
function blockModel(): Uint8Array {
  const w = [...Array(16).fill(1 / 16), ...Array(16).fill(-1 / 16)];
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', 1, 16, 16] }],
    outputs: ['relu'],
    build: (b) => {
      b.op('Conv', ['x', b.weight('w', w, [2, 1, 4, 4])], { strides: [4, 4] }, { outputs: ['conv'] });
      b.op('Relu', ['conv'], {}, { outputs: ['relu'] });
    },
  });
}

/** A 16×16 image, 1 on the block of cell (1, 1) (pixels 4–7 × 4–7), 0 elsewhere. */
function blockImage() {
  const data = new Float32Array(256);
  for (let y = 4; y < 8; y++) for (let x = 4; x < 8; x++) data[y * 16 + x] = 1;
  return { data, shape: [1, 1, 16, 16] };
}

describe('empirical receptive field', () => {
  it('pieces: peaks, channel means, occlusion by the mean, the area of the half-maximum tiles', () => {
    // Unit 0 peaks at cell (0, 1) of its 2×2 map (centre (2, 6) in an 8×8 input); unit 1 never fires.
    assert.deepEqual(firingPeaks(Float32Array.of(1, 3, 0, 0, 0, 0, 0, 0), 2, 2, 2, 8, 8), [{ unit: 0, cell: 1, value: 3, cy: 2, cx: 6 }]);
    assert.deepEqual(Array.from(channelMeans({ data: Float32Array.of(0, 2, 4, 6), shape: [1, 2, 1, 2] }, [2, 1, 2])), [1, 5]);
    const occluded = occlude({ data: Float32Array.of(0, 2, 4, 6), shape: [1, 1, 2, 2] }, [1, 2, 2], Float64Array.of(3), 1, 0, 1);
    assert.deepEqual(Array.from(occluded.data), [0, 2, 3, 6]);
    assert.deepEqual(occluderCorners(4, 4, 2, 2), [
      [0, 0],
      [0, 2],
      [2, 0],
      [2, 2],
    ]);
    assert.deepEqual(occluderCorners(5, 3, 2, 2), [
      [0, 0],
      [2, 0],
    ]);
    // A 3×3 offset grid (H = W = 1): two offsets reach half of the largest; stride 1 tiles are the offsets themselves.
    assert.equal(fieldArea(Float64Array.of(0, 0, 0, 0, 1, 0.5, 0, 0.4, Number.NaN), 1, 1, 1, 0.5), 2);
    // Stride 2: each offset stands for a 2×2 tile (clipped at the grid's edge): the centre's {4, 5, 7, 8} and 5's {5, 8}.
    assert.equal(fieldArea(Float64Array.of(0, 0, 0, 0, 1, 0.5, 0, 0.4, Number.NaN), 1, 1, 2, 0.5), 4);
    assert.equal(fieldArea(new Float64Array(9), 1, 1, 1, 0.5), 0);
  });

  it('finds the 4×4 block a unit sums: 16 pixels, radius √(16/π)', async () => {
    await using model = await Model.load(blockModel(), { runtime: nodeRuntime, name: 'block' });
    // Occluders 2×2 at stride 2 lie inside the block or outside it. The four inside lower the peak (cell (1, 1), value 1)
    // by 4 · (1 − 1/16) / 16 each, at offsets ±1 from its centre (6, 6); the others by nothing. Channel 1 never fires.
    const field = await empiricalReceptiveField(model, 'relu', [blockImage()], { patch: 2, stride: 2, batchSize: 8 });
    assert.equal(field.peaks, 1);
    assert.equal(field.area, 16);
    assert.ok(Math.abs(field.radius - Math.sqrt(16 / Math.PI)) < 1e-12);
    const at = (dy: number, dx: number) => field.drop[(dy + 16) * 33 + dx + 16] as number;
    assert.ok(Math.abs(at(-1, 1) - (4 * (15 / 16)) / 16) < 1e-6, String(at(-1, 1)));
    assert.equal(at(3, 1), 0);
    assert.ok(Number.isNaN(at(0, 0)), 'an offset no occluder centre falls on');
  });

  it('the default occluder is Zhou et al.’s 11 px at stride 3 of 227, scaled; bad settings are one-line errors', async () => {
    await using model = await Model.load(blockModel(), { runtime: nodeRuntime, name: 'block' });
    const field = await empiricalReceptiveField(model, 'relu', [blockImage()]);
    assert.deepEqual([field.patch, field.stride], [1, 1]);
    await assert.rejects(empiricalReceptiveField(model, 'relu', []), /at least one image/);
    await assert.rejects(empiricalReceptiveField(model, 'relu', [blockImage()], { patch: 17 }), /larger than the 16×16 input/);
    await assert.rejects(empiricalReceptiveField(model, 'relu', [blockImage()], { stride: 0 }), /stride must be a positive integer/);
    const small = { data: new Float32Array(64), shape: [1, 1, 8, 8] };
    await assert.rejects(empiricalReceptiveField(model, 'relu', [blockImage(), small]), /Image 2 has shape \[1, 1, 8, 8\]; the first has \[1, 1, 16, 16\]/);
  });

  it('takes loaders, called when their image is measured: the same field as the tensors', async () => {
    await using model = await Model.load(blockModel(), { runtime: nodeRuntime, name: 'block' });
    let calls = 0;
    const loader = async () => {
      calls++;
      return blockImage();
    };
    const field = await empiricalReceptiveField(model, 'relu', [loader, loader], { patch: 2, stride: 2, batchSize: 8 });
    assert.equal(field.area, 16);
    assert.equal(field.peaks, 2);
    assert.ok(calls >= 2);
  });
});
