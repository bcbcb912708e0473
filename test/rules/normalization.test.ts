import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { float } from '../../src/onnx/attributes.js';
import type { GraphBuilder } from '../../src/onnx/builder.js';
import { type GradCheckSpec, gradCheck, rng, uniform } from '../helpers/gradcheck.js';

/** Runs a finite-difference gradient check (as a test body: resolves to nothing). */
async function check(spec: GradCheckSpec): Promise<void> {
  await gradCheck(spec);
}

/** BatchNormalization parameters for `c` channels as initializers (variance positive). */
function bnParams(b: GraphBuilder, c: number): string[] {
  return [
    b.weight('scale', uniform(c, rng(1), -2, 2), [c]),
    b.weight('bias', uniform(c, rng(2)), [c]),
    b.weight('mean', uniform(c, rng(3)), [c]),
    b.weight('var', uniform(c, rng(4), 0.1, 2), [c]),
  ];
}

describe('BatchNormalization (inference) against finite differences', () => {
  it('NCHW, default epsilon', () =>
    check({
      inputs: [{ name: 'x', shape: [2, 3, 4, 4] }],
      output: 'y',
      build: (b) => b.op('BatchNormalization', ['x', ...bnParams(b, 3)], {}, { outputs: ['y'] }),
    }));
  it('NCHW, large epsilon', () =>
    check({
      inputs: [{ name: 'x', shape: [2, 3, 4, 4] }],
      output: 'y',
      build: (b) => b.op('BatchNormalization', ['x', ...bnParams(b, 3)], { epsilon: float(0.5) }, { outputs: ['y'] }),
    }));
  it('NC (2-D input)', () =>
    check({
      inputs: [{ name: 'x', shape: [3, 5] }],
      output: 'y',
      build: (b) => b.op('BatchNormalization', ['x', ...bnParams(b, 5)], {}, { outputs: ['y'] }),
    }));
  it('NCL (1-D spatial)', () =>
    check({
      inputs: [{ name: 'x', shape: [2, 4, 6] }],
      output: 'y',
      build: (b) => b.op('BatchNormalization', ['x', ...bnParams(b, 4)], {}, { outputs: ['y'] }),
    }));
  it('rejects a running mean computed from the input with a clear error', async () => {
    await assert.rejects(
      check({
        inputs: [
          { name: 'x', shape: [2, 3, 4, 4] },
          { name: 's', shape: [3] },
        ],
        output: 'y',
        build: (b) => {
          const [scale, bias, , variance] = bnParams(b, 3);
          b.op('BatchNormalization', ['x', scale as string, bias as string, 's', variance as string], {}, { outputs: ['y'] });
        },
      }),
      (e: Error) => e.name === 'LucernaError' && /only X, scale and bias can be differentiated/.test(e.message),
    );
  });
});

describe('LayerNormalization against finite differences', () => {
  const layerNorm = (shape: number[], attrs: Record<string, ReturnType<typeof float> | number>, normShape: number[], withBias = true, outputs = ['y']) =>
    check({
      inputs: [
        {
          name: 'x',
          shape,
          values: uniform(
            shape.reduce((a, d) => a * d, 1),
            rng(5),
            -2,
            2,
          ),
        },
      ],
      output: 'y',
      build: (b) => {
        const n = normShape.reduce((a, d) => a * d, 1);
        const params = [b.weight('scale', uniform(n, rng(6), -2, 2), normShape)];
        if (withBias) params.push(b.weight('bias', uniform(n, rng(7)), normShape));
        b.op('LayerNormalization', ['x', ...params], attrs, { outputs });
      },
      opset: 17,
    });
  it('default axis (-1) and epsilon', () => layerNorm([2, 3, 5], {}, [5]));
  it('axis 1 over [C, H, W]', () => layerNorm([2, 3, 2, 2], { axis: 1 }, [3, 2, 2]));
  it('axis -2 with large epsilon', () => layerNorm([2, 3, 4], { axis: -2, epsilon: float(0.3) }, [3, 4]));
  it('axis 0 (everything normalized)', () => layerNorm([3, 4], { axis: 0 }, [3, 4]));
  it('without bias', () => layerNorm([2, 6], {}, [6], false));
  it('with Mean and InvStdDev outputs present', () => layerNorm([2, 3, 5], {}, [5], true, ['y', 'mean', 'invstd']));
  it('scale and bias computed from inputs: gradients w.r.t. X, scale and bias', () =>
    check({
      inputs: [
        { name: 'x', shape: [2, 3, 4] },
        { name: 's', shape: [4] },
        { name: 'bias', shape: [4] },
      ],
      output: 'y',
      build: (b) => b.op('LayerNormalization', ['x', 's', 'bias'], {}, { outputs: ['y'] }),
      opset: 17,
    }));
  it('rejects a seed behind the InvStdDev output', async () => {
    await assert.rejects(
      check({
        inputs: [{ name: 'x', shape: [2, 5] }],
        output: 'z',
        build: (b) => {
          const [y, , inv] = b.ops('LayerNormalization', ['x', b.weight('scale', uniform(5, rng(8)), [5])], {}, { outputs: 3 });
          b.op('Mul', [y as string, inv as string], {}, { outputs: ['z'] });
        },
        opset: 17,
      }),
      (e: Error) => e.name === 'LucernaError' && /InvStdDev/.test(e.message),
    );
  });
});
