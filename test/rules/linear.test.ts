import { describe, it } from 'node:test';
import { float } from '../../src/onnx/attributes.js';
import { type GradCheckSpec, gradCheck, rng, uniform } from '../helpers/gradcheck.js';

/** Runs a finite-difference gradient check (as a test body: resolves to nothing). */
async function check(spec: GradCheckSpec): Promise<void> {
  await gradCheck(spec);
}

const M = 3;
const K = 4;
const N = 5;
const size = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);

describe('Gemm against finite differences', () => {
  for (const transA of [0, 1]) {
    for (const transB of [0, 1]) {
      const aShape = transA ? [K, M] : [M, K];
      const bShape = transB ? [N, K] : [K, N];
      it(`transA ${transA} transB ${transB}, alpha 0.7 beta -1.5, A, B and C all activations`, () =>
        check({
          inputs: [
            { name: 'a', shape: aShape },
            { name: 'b', shape: bShape },
            { name: 'c', shape: [M, N] },
          ],
          output: 'y',
          build: (b) => b.op('Gemm', ['a', 'b', 'c'], { transA, transB, alpha: float(0.7), beta: float(-1.5) }, { outputs: ['y'] }),
        }));
      it(`transA ${transA} transB ${transB}, default alpha and beta, B initializer, no C`, () =>
        check({
          inputs: [{ name: 'a', shape: aShape }],
          output: 'y',
          build: (b) => b.op('Gemm', ['a', b.weight('w', uniform(K * N, rng(1)), bShape)], { transA, transB }, { outputs: ['y'] }),
        }));
    }
  }
  for (const cShape of [[N], [1, N], [M, 1], [], [1], [M, N]]) {
    it(`C of shape [${cShape.join(',')}] as an activation, beta 2`, () =>
      check({
        inputs: [
          { name: 'a', shape: [M, K] },
          { name: 'c', shape: cShape },
        ],
        output: 'y',
        build: (b) => b.op('Gemm', ['a', b.weight('w', uniform(K * N, rng(2)), [N, K]), 'c'], { transB: 1, beta: float(2) }, { outputs: ['y'] }),
      }));
    it(`C of shape [${cShape.join(',')}] as an initializer`, () =>
      check({
        inputs: [{ name: 'a', shape: [M, K] }],
        output: 'y',
        build: (b) =>
          b.op('Gemm', ['a', b.weight('w', uniform(K * N, rng(3)), [K, N]), b.weight('c', uniform(size(cShape), rng(4)), cShape)], {}, { outputs: ['y'] }),
      }));
  }
  it('A an initializer, only B an activation', () =>
    check({
      inputs: [{ name: 'b', shape: [N, K] }],
      output: 'y',
      build: (b) => b.op('Gemm', [b.weight('a', uniform(K * M, rng(5)), [K, M]), 'b'], { transA: 1, transB: 1, alpha: float(-0.5) }, { outputs: ['y'] }),
    }));
});

/** Operand shape pairs covering NumPy matmul: 2-D, batched, broadcast batch dims and 1-D on either side. */
const MATMUL_PAIRS: readonly (readonly [readonly number[], readonly number[]])[] = [
  [
    [M, K],
    [K, N],
  ],
  [
    [2, M, K],
    [K, N],
  ],
  [
    [M, K],
    [2, K, N],
  ],
  [
    [2, M, K],
    [2, K, N],
  ],
  [
    [2, 1, M, K],
    [3, K, N],
  ],
  [
    [1, 2, M, K],
    [3, 1, K, N],
  ],
  [[K], [K, N]],
  [[K], [2, K, N]],
  [[2, M, K], [K]],
  [[M, K], [K]],
  [[K], [K]],
];

describe('MatMul against finite differences', () => {
  for (const [sa, sb] of MATMUL_PAIRS) {
    it(`[${sa.join(',')}] × [${sb.join(',')}], both activations`, () =>
      check({
        inputs: [
          { name: 'a', shape: sa },
          { name: 'b', shape: sb },
        ],
        output: 'y',
        build: (b) => b.op('MatMul', ['a', 'b'], {}, { outputs: ['y'] }),
      }));
  }
  it('batched activation × 2-D weight initializer', () =>
    check({
      inputs: [{ name: 'a', shape: [2, M, K] }],
      output: 'y',
      build: (b) => b.op('MatMul', ['a', b.weight('w', uniform(K * N, rng(6)), [K, N])], {}, { outputs: ['y'] }),
    }));
  it('weight initializer × batched activation', () =>
    check({
      inputs: [{ name: 'b', shape: [2, K, N] }],
      output: 'y',
      build: (b) => b.op('MatMul', [b.weight('w', uniform(M * K, rng(7)), [M, K]), 'b'], {}, { outputs: ['y'] }),
    }));
});
