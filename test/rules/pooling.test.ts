import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { averagePoolDivisors, tapsInside } from '../../src/compiler/rules/pool-adjoint.js';
import type { AttrValue } from '../../src/onnx/attributes.js';
import { gradCheck, rng } from '../helpers/gradcheck.js';

/** Distinct values 0.05 apart, shuffled: no max-pool window has a near-tie within the FD step. */
function distinct(shape: readonly number[], seed: number): Float32Array {
  const n = shape.reduce((p, d) => p * d, 1);
  const random = rng(seed);
  const values = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.05);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j] as number, values[i] as number];
  }
  return Float32Array.from(values);
}

function poolGradients(op: string, shape: number[], attrs: Record<string, AttrValue>, opset = 18, values?: Float32Array) {
  return gradCheck({
    opset,
    inputs: [{ name: 'x', shape, values: values ?? distinct(shape, shape.length * 31 + shape.at(-1)!) }],
    output: 'y',
    build: (b) => b.op(op, ['x'], attrs, { outputs: ['y'] }),
  });
}

async function pool(op: string, shape: number[], attrs: Record<string, AttrValue>, opset = 18): Promise<void> {
  await poolGradients(op, shape, attrs, opset);
}

describe('MaxPool gradient', () => {
  const cases: [string, number[], Record<string, AttrValue>][] = [
    ['ResNet stem 3×3 stride 2 pad 1 (overlapping)', [1, 2, 9, 9], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
    ['2×2 stride 2 (tiling)', [2, 2, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }],
    ['3×3 stride 1 (heavily overlapping)', [1, 2, 5, 5], { kernel_shape: [3, 3] }],
    ['asymmetric pads and strides', [1, 2, 7, 8], { kernel_shape: [3, 2], strides: [1, 2], pads: [0, 1, 2, 0] }],
    ['dilations 2', [1, 2, 9, 9], { kernel_shape: [3, 3], dilations: [2, 2], pads: [1, 1, 1, 1] }],
    ['ceil_mode with a partial last window', [1, 2, 8, 8], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }],
    ['ceil_mode with pads', [1, 1, 8, 7], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }],
    ['auto_pad SAME_UPPER', [1, 2, 7, 7], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_UPPER' }],
    ['auto_pad SAME_LOWER', [1, 2, 7, 6], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_LOWER' }],
    ['auto_pad VALID', [1, 2, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'VALID' }],
    ['1-D', [2, 3, 11], { kernel_shape: [3], strides: [2], pads: [1, 1] }],
    ['3-D', [1, 1, 4, 5, 5], { kernel_shape: [2, 3, 3], strides: [1, 2, 2], pads: [0, 1, 1, 1, 1, 1] }],
    ['storage_order 1 (ignored by the rule)', [1, 2, 6, 5], { kernel_shape: [2, 2], strides: [2, 1], storage_order: 1 }],
  ];
  for (const [name, shape, attrs] of cases) it(name, () => pool('MaxPool', shape, attrs));

  it('reuses the forward Indices output when the model has one', async () => {
    const shape = [1, 2, 9, 9];
    await gradCheck({
      inputs: [{ name: 'x', shape, values: distinct(shape, 5) }],
      output: 'y',
      build: (b) => {
        const [y, idx] = b.ops('MaxPool', ['x'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, { outputs: ['p', 'idx'] });
        b.op('Add', [y as string, b.op('Cast', [idx as string], { to: 1 })], {}, { outputs: ['y'] });
      },
    });
  });

  it('sends overlapping windows’ gradients to one shared maximum', async () => {
    // The centre is the maximum of all four overlapping 3×3 windows (stride 1 over 4×4).
    const values = Float32Array.from({ length: 16 }, (_, i) => (i === 5 ? 10 : i * 0.1));
    const g = await gradCheck({
      inputs: [{ name: 'x', shape: [1, 1, 4, 4], values }],
      output: 'y',
      build: (b) => b.op('ReduceSum', [b.op('MaxPool', ['x'], { kernel_shape: [3, 3] })], { keepdims: 0 }, { outputs: ['y'] }),
    });
    // The loss seed is random, so check the pattern; the value itself is checked against finite differences.
    assert.deepEqual(
      [...(g.x ?? [])].map((v) => v !== 0),
      Array.from({ length: 16 }, (_, i) => i === 5),
    );
  });
});

describe('AveragePool gradient', () => {
  const geometries: [string, number[], Record<string, AttrValue>][] = [
    ['3×3 stride 1 pad 1', [1, 2, 5, 6], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }],
    ['3×3 stride 2 pad 1', [1, 2, 7, 8], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
    ['2×2 stride 2 (tiling)', [2, 3, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }],
    ['2×2 stride 2 with a leftover row', [1, 2, 7, 6], { kernel_shape: [2, 2], strides: [2, 2] }],
    ['asymmetric pads and strides', [1, 2, 7, 8], { kernel_shape: [3, 2], strides: [1, 2], pads: [0, 1, 2, 0] }],
    ['ceil_mode with a partial last window', [1, 2, 8, 8], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }],
    ['ceil_mode with pads', [1, 1, 8, 7], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }],
    ['ceil_mode dropping a window that starts in the padding', [1, 1, 5, 5], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }],
    ['auto_pad SAME_UPPER', [1, 2, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }],
    ['auto_pad SAME_LOWER', [1, 2, 6, 7], { kernel_shape: [2, 2], strides: [1, 1], auto_pad: 'SAME_LOWER' }],
    ['auto_pad VALID', [1, 2, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'VALID' }],
    ['1-D', [2, 3, 11], { kernel_shape: [3], strides: [2], pads: [1, 1] }],
    ['3-D', [1, 1, 4, 5, 5], { kernel_shape: [2, 3, 3], strides: [1, 2, 2], pads: [0, 1, 1, 1, 1, 1] }],
  ];
  for (const countIncludePad of [0, 1]) {
    for (const [name, shape, attrs] of geometries) {
      it(`${name}, count_include_pad ${countIncludePad}`, () => pool('AveragePool', shape, { ...attrs, count_include_pad: countIncludePad }));
    }
    it(`dilations 2 (opset 19), count_include_pad ${countIncludePad}`, () =>
      pool('AveragePool', [1, 2, 9, 8], { kernel_shape: [3, 2], dilations: [2, 2], pads: [1, 1, 2, 1], count_include_pad: countIncludePad }, 19));
  }

  it('divides border windows by the taps inside the input or the padded input', () => {
    assert.deepEqual(tapsInside(4, 3, 2, 1, 1, 0, 7), [2, 3, 3, 2]);
    const g = { inShape: [1, 1, 3, 3], outShape: [1, 1, 3, 3], kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1] };
    assert.deepEqual(averagePoolDivisors(g, false), [4, 6, 4, 6, 9, 6, 4, 6, 4]);
    assert.deepEqual(averagePoolDivisors(g, true), new Array(9).fill(9));
  });
});

describe('global pooling gradient', () => {
  it('GlobalAveragePool', () => pool('GlobalAveragePool', [2, 3, 4, 5], {}));
  it('GlobalAveragePool 1-D', () => pool('GlobalAveragePool', [2, 3, 7], {}));
  it('GlobalMaxPool', () => pool('GlobalMaxPool', [2, 3, 4, 5], {}));
  it('GlobalMaxPool 3-D', () => pool('GlobalMaxPool', [1, 2, 3, 3, 4], {}));
  it('GlobalMaxPool sends the gradient to the arg-max only', async () => {
    const values = Float32Array.from({ length: 12 }, (_, i) => (i === 7 ? 5 : -i * 0.1));
    const g = await poolGradients('GlobalMaxPool', [1, 1, 3, 4], {}, 18, values);
    assert.deepEqual(
      [...(g.x ?? [])].map((v, i) => (i === 7 ? 'max' : v)),
      Array.from({ length: 12 }, (_, i) => (i === 7 ? 'max' : 0)),
    );
  });
});
