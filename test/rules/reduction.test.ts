import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reducedAxes } from '../../src/compiler/rules/reduction.js';
import type { VjpContext } from '../../src/compiler/vjp.js';
import { makeAttributes } from '../../src/onnx/attributes.js';
import { gradCheck } from '../helpers/gradcheck.js';

const shape = [2, 3, 4, 5];

function reduceGradients(op: string, axes: number[] | undefined, attrs: Record<string, number>) {
  return gradCheck({
    opset: 18,
    inputs: [{ name: 'x', shape }],
    output: 'y',
    build: (b) => b.op(op, axes ? ['x', b.constInt64(axes)] : ['x'], attrs, { outputs: ['y'] }),
  });
}

async function reduce(op: string, axes: number[] | undefined, attrs: Record<string, number>): Promise<void> {
  await reduceGradients(op, axes, attrs);
}

describe('ReduceSum and ReduceMean gradients', () => {
  const axesCases: [string, number[] | undefined][] = [
    ['spatial axes', [2, 3]],
    ['negative axes', [-1, 1]],
    ['the batch axis', [0]],
    ['all axes by default', undefined],
    ['an empty axes input', []],
  ];
  for (const op of ['ReduceSum', 'ReduceMean']) {
    for (const [name, axes] of axesCases) {
      for (const keepdims of [0, 1]) {
        it(`${op} over ${name}, keepdims ${keepdims}`, () => reduce(op, axes, { keepdims }));
      }
    }
    it(`${op} with noop_with_empty_axes passes the gradient through`, async () => {
      const g = await reduceGradients(op, undefined, { noop_with_empty_axes: 1 });
      assert.equal(g.x?.length, 120);
    });
    it(`${op} with noop_with_empty_axes but given axes still reduces`, () => reduce(op, [3], { noop_with_empty_axes: 1, keepdims: 0 }));
  }

  it('ReduceMean spreads the gradient evenly', async () => {
    const g = await gradCheck({
      opset: 18,
      inputs: [{ name: 'x', shape }],
      output: 'y',
      build: (b) => b.op('ReduceSum', [b.op('ReduceMean', ['x', b.constInt64([1, 3])], { keepdims: 0 })], { keepdims: 0 }, { outputs: ['y'] }),
    });
    const first = g.x?.[0] as number;
    assert.ok(first !== 0);
    for (const v of g.x ?? []) assert.ok(Math.abs(v - first) < 1e-6, `${v} differs from ${first}`);
  });
});

describe('reduced axes of older node forms', () => {
  const fakeContext = (attrs: Record<string, number | number[]>): VjpContext =>
    ({
      node: { opType: 'ReduceMean', input: ['x'], output: ['y'], attribute: makeAttributes(attrs) },
      input: (i: number) => (i === 0 ? 'x' : ''),
    }) as unknown as VjpContext;
  it('reads the axes attribute (opset < 18)', () => {
    assert.deepEqual(reducedAxes(fakeContext({ axes: [-1, 2] }), 4), [2, 3]);
  });
  it('reduces every axis when none is given', () => {
    assert.deepEqual(reducedAxes(fakeContext({}), 3), [0, 1, 2]);
  });
  it('is a no-op with noop_with_empty_axes', () => {
    assert.equal(reducedAxes(fakeContext({ noop_with_empty_axes: 1 }), 3), undefined);
  });
});
