import { describe, it } from 'node:test';
import { type GradCheckSpec, gradCheck, rng, uniform } from '../helpers/gradcheck.js';

/** Runs a finite-difference gradient check (as a test body: resolves to nothing). */
async function check(spec: GradCheckSpec): Promise<void> {
  await gradCheck(spec);
}

/** Values of one sign with magnitude in [0.5, 1.5): safe divisors. */
function divisor(n: number, seed: number): Float32Array {
  const random = rng(seed);
  return Float32Array.from({ length: n }, () => (random() < 0.5 ? -1 : 1) * (0.5 + random()));
}

const size = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);

/** Shape pairs (A, B) covering NumPy broadcasting: equal, leading, inner, both-sided, rank 0. */
const PAIRS: readonly (readonly [readonly number[], readonly number[]])[] = [
  [
    [2, 3, 4],
    [2, 3, 4],
  ],
  [[2, 3, 4], [4]],
  [
    [2, 3, 4],
    [3, 1],
  ],
  [
    [2, 3, 4, 5],
    [1, 3, 1, 1],
  ],
  [
    [2, 1, 4],
    [3, 1],
  ],
  [[2, 3], []],
  [[], [2, 3]],
  [
    [1, 3],
    [2, 1],
  ],
];

describe('Sum against finite differences', () => {
  it('three operands with broadcasting ([2,3,4] + [4] + [3,1])', () =>
    check({
      inputs: [
        { name: 'a', shape: [2, 3, 4] },
        { name: 'b', shape: [4] },
        { name: 'c', shape: [3, 1] },
      ],
      output: 'y',
      build: (b) => b.op('Sum', ['a', 'b', 'c'], {}, { outputs: ['y'] }),
    }));
  it('a single operand', () => check({ inputs: [{ name: 'a', shape: [2, 3] }], output: 'y', build: (b) => b.op('Sum', ['a'], {}, { outputs: ['y'] }) }));
});

describe('element-wise arithmetic against finite differences', () => {
  for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
    for (const [sa, sb] of PAIRS) {
      const label = `[${sa.join(',')}] ${op} [${sb.join(',')}]`;
      const bValues = op === 'Div' ? divisor(size(sb), 3) : undefined;
      it(`${label}, both operands activations`, () =>
        check({
          inputs: [
            { name: 'a', shape: sa },
            { name: 'b', shape: sb, values: bValues },
          ],
          output: 'y',
          build: (b) => b.op(op, ['a', 'b'], {}, { outputs: ['y'] }),
        }));
    }
    it(`${op} with a constant right operand`, () =>
      check({
        inputs: [{ name: 'a', shape: [2, 3, 4] }],
        output: 'y',
        build: (b) => b.op(op, ['a', b.weight('w', divisor(3, 4), [3, 1])], {}, { outputs: ['y'] }),
      }));
    it(`${op} with a constant left operand`, () =>
      check({
        inputs: [{ name: 'b', shape: [2, 3, 4], values: op === 'Div' ? divisor(24, 5) : undefined }],
        output: 'y',
        build: (b) => b.op(op, [b.weight('w', uniform(4, rng(6)), [4]), 'b'], {}, { outputs: ['y'] }),
      }));
    it(`${op} with a rank-0 constant`, () =>
      check({
        inputs: [{ name: 'a', shape: [2, 3] }],
        output: 'y',
        build: (b) => b.op(op, ['a', b.weight('s', [0.7], [])], {}, { outputs: ['y'] }),
      }));
  }
  it('Mul of a tensor by itself sums both contributions', () =>
    check({ inputs: [{ name: 'a', shape: [2, 3] }], output: 'y', build: (b) => b.op('Mul', ['a', 'a'], {}, { outputs: ['y'] }) }));
  it('Div of a tensor by itself has zero gradient', () =>
    check({
      inputs: [{ name: 'a', shape: [2, 3], values: divisor(6, 7) }],
      output: 'y',
      build: (b) => b.op('Div', ['a', 'a'], {}, { outputs: ['y'] }),
    }));
});
