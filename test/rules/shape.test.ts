import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inversePermutation } from '../../src/compiler/rules/shape.js';
import { padSourceIndices, sliceAxis } from '../../src/compiler/rules/slice-pad.js';
import type { AttrValue } from '../../src/onnx/attributes.js';
import type { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/proto.js';
import { gradCheck, rng, uniform } from '../helpers/gradcheck.js';

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** An int64 constant from exact values (the builder's number-based constInt64 cannot hold ±2⁶³). */
function int64s(b: GraphBuilder, values: readonly (number | bigint)[]): string {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => {
    view.setBigInt64(i * 8, BigInt(v), true);
  });
  const name = b.unique('int64s');
  b.graph.initializers.set(name, { name, dataType: DataType.INT64, dims: [values.length], rawData: bytes });
  return name;
}

/** A gradient check of `y = build(x)` for one input `x`; returns the analytic gradient. */
async function gradientOf(shape: number[], build: (b: GraphBuilder) => void): Promise<Float32Array> {
  const g = await gradCheck({ opset: 18, inputs: [{ name: 'x', shape }], output: 'y', build });
  return g.x as Float32Array;
}

async function check(shape: number[], build: (b: GraphBuilder) => void): Promise<void> {
  await gradientOf(shape, build);
}

function single(op: string, shape: number[], extraInputs: (b: GraphBuilder) => string[], attrs: Record<string, AttrValue> = {}): Promise<void> {
  return check(shape, (b) => b.op(op, ['x', ...extraInputs(b)], attrs, { outputs: ['y'] }));
}

async function checkMany(spec: Parameters<typeof gradCheck>[0]): Promise<void> {
  await gradCheck(spec);
}

describe('reshaping ops', () => {
  for (const axis of [0, 1, 2, -1]) it(`Flatten axis ${axis}`, () => single('Flatten', [2, 3, 4], () => [], { axis }));
  it('Reshape with 0 and -1 entries', () => single('Reshape', [2, 3, 4, 5], (b) => [b.constInt64([0, -1, 5])]));
  it('Reshape to a higher rank', () => single('Reshape', [2, 12], (b) => [b.constInt64([2, 3, 2, 2])]));
  it('Squeeze with axes (negative)', () => single('Squeeze', [2, 1, 3, 1], (b) => [b.constInt64([1, -1])]));
  it('Squeeze without axes', () => single('Squeeze', [1, 3, 1, 2], () => []));
  it('Unsqueeze with axes', () => single('Unsqueeze', [2, 3], (b) => [b.constInt64([0, -1])]));
  it('Identity', () => single('Identity', [2, 3], () => []));
  it('Dropout (inference)', () => single('Dropout', [2, 3, 4], () => []));
});

describe('Transpose', () => {
  it('NCHW → NHWC', () => single('Transpose', [2, 3, 4, 5], () => [], { perm: [0, 2, 3, 1] }));
  it('default perm reverses the axes', () => single('Transpose', [2, 3, 4], () => []));
  it('inverts permutations', () => assert.deepEqual(inversePermutation([0, 2, 3, 1]), [0, 3, 1, 2]));
});

describe('Concat', () => {
  const inputs = [
    { name: 'a', shape: [2, 3, 4] },
    { name: 'c', shape: [2, 1, 4] },
  ];
  for (const axis of [1, -2]) {
    it(`several inputs, some constant, axis ${axis}`, () =>
      checkMany({
        opset: 18,
        inputs,
        output: 'y',
        build: (b) => {
          const k = b.weight('k', uniform(16, rng(3)), [2, 2, 4]);
          b.op('Concat', ['a', k, 'c', 'a'], { axis }, { outputs: ['y'] });
        },
      }));
  }
  it('one input needs a gradient, negative axis', () =>
    check([2, 3, 2], (b) => b.op('Concat', [b.weight('k', uniform(6, rng(4)), [2, 3, 1]), 'x'], { axis: -1 }, { outputs: ['y'] })));
});

describe('Split', () => {
  it('split input, an unused output gets zeros', async () => {
    const g = await gradientOf([2, 6, 3], (b) => {
      const [o0, , o2] = b.ops('Split', ['x', b.constInt64([2, 3, 1])], { axis: 1 }, { outputs: 3 });
      b.op('Concat', [o2 as string, o0 as string], { axis: 1 }, { outputs: ['y'] });
    });
    for (let n = 0; n < 2; n++) for (let c = 2; c < 5; c++) for (let w = 0; w < 3; w++) assert.equal(g[n * 18 + c * 3 + w], 0);
  });
  it('num_outputs with an uneven last part, negative axis', () =>
    check([2, 3, 7], (b) => {
      const parts = b.ops('Split', ['x'], { axis: -1, num_outputs: 3 }, { outputs: 3 });
      b.op('Mul', [parts[2] as string, b.op('ReduceSum', [parts[0] as string], { keepdims: 1 })], {}, { outputs: ['y'] });
    }));
  it('only one output used', () =>
    check([4, 3], (b) => {
      const [, second] = b.ops('Split', ['x'], { axis: 0, num_outputs: 2 }, { outputs: 2 });
      b.op('Identity', [second as string], {}, { outputs: ['y'] });
    }));
});

describe('Slice', () => {
  type Ints = (number | bigint)[];
  const slice = (shape: number[], starts: Ints, ends: Ints, axes?: number[], steps?: number[]) =>
    single('Slice', shape, (b) => [int64s(b, starts), int64s(b, ends), ...(axes ? [b.constInt64(axes)] : []), ...(steps ? [b.constInt64(steps)] : [])]);
  it('starts and ends only', () => slice([4, 5], [1, 0], [3, 4]));
  it('axes with a negative axis', () => slice([2, 3, 6], [1, -4], [3, 5], [1, -1]));
  it('clamped ends (INT64_MAX) and negative starts', () => slice([2, 3, 6], [-2, 2], [INT64_MAX, 100], [1, 2]));
  it('steps 2 and 3', () => slice([2, 7, 8], [1, 0], [7, 8], [1, 2], [2, 3]));
  it('step 2 ending exactly at the last element', () => slice([9], [0], [9], [0], [2]));
  it('negative step -1 (reverse)', () => slice([2, 5], [INT64_MAX], [INT64_MIN], [1], [-1]));
  it('negative step -2 with negative start', () => slice([3, 7], [-1], [0], [1], [-2]));
  it('negative step -3 on one axis, step 2 on another', () => slice([6, 8], [4, 1], [-10, 100], [0, 1], [-3, 2]));
  it('an empty slice on one axis gives zeros', async () => {
    const g = await gradientOf([2, 4], (b) => {
      const empty = b.op('Slice', ['x', b.constInt64([3]), b.constInt64([1]), b.constInt64([1])]);
      b.op('Concat', [empty, 'x'], { axis: 1 }, { outputs: ['y'] });
    });
    assert.equal(g.length, 8);
  });
  it('resolves axes like ONNX', () => {
    assert.deepEqual(sliceAxis(1, -1, 0, -2, 7), { axis: 1, lowest: 2, count: 3, step: -2 });
    assert.deepEqual(sliceAxis(0, 2, Number(INT64_MAX), 1, 5), { axis: 0, lowest: 2, count: 3, step: 1 });
    assert.deepEqual(sliceAxis(0, Number(INT64_MAX), Number(INT64_MIN), -1, 5), { axis: 0, lowest: 0, count: 5, step: -1 });
    assert.equal(sliceAxis(0, 3, 1, 1, 5).count, 0);
  });
});

describe('Pad', () => {
  const pad = (shape: number[], pads: number[], extra: (b: GraphBuilder) => string[] = () => [], attrs: Record<string, AttrValue> = {}) =>
    single('Pad', shape, (b) => [b.constInt64(pads), ...extra(b)], attrs);
  it('constant mode, positive pads', () => pad([1, 2, 3, 4], [0, 0, 1, 2, 0, 0, 2, 1]));
  it('constant mode, a constant value', () => pad([2, 3], [1, 0, 0, 2], (b) => [b.scalar(0.5)]));
  it('constant mode, negative pads (crop)', () => pad([2, 5, 6], [0, -1, 2, 0, -2, -1]));
  it('constant mode with axes', () => pad([2, 3, 4], [1, -1, 2, 1], (b) => [b.scalar(0), b.constInt64([-1, 0])]));
  it('gradient of the constant value', () =>
    checkMany({
      opset: 18,
      inputs: [
        { name: 'x', shape: [2, 3] },
        { name: 'v', shape: [] },
      ],
      output: 'y',
      build: (b) => b.op('Pad', ['x', b.constInt64([1, -1, 0, 2]), 'v'], {}, { outputs: ['y'] }),
    }));
  for (const mode of ['edge', 'reflect', 'wrap']) {
    it(`${mode} mode`, () => pad([1, 2, 4, 5], [0, 0, 2, 1, 0, 0, 1, 3], () => [], { mode }));
  }
  it('maps reflect, edge and wrap pads to their sources', () => {
    assert.deepEqual(padSourceIndices('reflect', 4, 2, 1), [2, 1, 0, 1, 2, 3, 2]);
    assert.deepEqual(padSourceIndices('edge', 3, 2, 1), [0, 0, 0, 1, 2, 2]);
    assert.deepEqual(padSourceIndices('wrap', 3, 2, 2), [1, 2, 0, 1, 2, 0, 1]);
  });
});
