import { describe, it } from 'node:test';
import { gradCheck, rng, uniform } from '../helpers/gradcheck.js';

describe('first rules against finite differences', () => {
  it('Conv 3x3 pad 1 + Relu', async () => {
    const w = uniform(4 * 3 * 3 * 3, rng(1));
    await gradCheck({
      inputs: [{ name: 'x', shape: [1, 3, 6, 6] }],
      output: 'y',
      build: (b) => {
        const c = b.op('Conv', ['x', b.weight('w', w, [4, 3, 3, 3])], { pads: [1, 1, 1, 1] });
        b.op('Relu', [c], {}, { outputs: ['y'] });
      },
    });
  });
  it('Gemm transB + bias', async () => {
    await gradCheck({
      inputs: [{ name: 'x', shape: [2, 5] }],
      output: 'y',
      build: (b) => {
        b.op('Gemm', ['x', b.weight('w', uniform(15, rng(2)), [3, 5]), b.weight('c', uniform(3, rng(3)), [3])], { transB: 1 }, { outputs: ['y'] });
      },
    });
  });
});

describe('the gradient check itself', () => {
  it('rejects a wrong rule', async () => {
    const { extendRuleSet } = await import('../../src/compiler/vjp.js');
    const { standardRules } = await import('../../src/compiler/rulesets/standard.js');
    const wrong = extendRuleSet(standardRules, 'wrong-relu', { Relu: (ctx) => [ctx.gradOutput(0)] });
    const assert = await import('node:assert/strict');
    await assert.rejects(
      gradCheck({ inputs: [{ name: 'x', shape: [1, 2, 4, 4] }], output: 'y', rules: wrong, build: (b) => b.op('Relu', ['x'], {}, { outputs: ['y'] }) }),
      /finite difference/,
    );
  });
});
