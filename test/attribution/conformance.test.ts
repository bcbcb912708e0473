/**
 * The conformance suite every registered method runs (Captum's config-table style): output shape,
 * batch equivalence (a batch of N with N targets, 8 rows per engine call, equals N single calls
 * with 1 row per call), targets honoured, bad input, no leaked engine sessions after the model is
 * disposed; and the descriptor's promises: what it needs matches the options it declares, every
 * layer-map method takes --layer, --relu and --upsample, and every declared option refuses a bad
 * value clearly while undeclared ones are refused.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { methodList, methodNames } from '../../src/attribution/methods.js';
import { LAYER_MAP_OPTIONS, type MethodOption } from '../../src/attribution/options.js';
import { buildMethodOptions, methodFlagSpecs } from '../../src/cli/commands/attribute-options.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import type { Runtime } from '../../src/engine/runtime.js';
import { isLucernaError } from '../../src/errors.js';
import { concatBatch, sliceBatch, type Tensor } from '../../src/tensor/tensor.js';
import { root } from '../helpers/cli.js';
import { assertClose } from '../helpers/compare.js';
import { caseInput, oracle, oracleModelBytes } from '../helpers/oracle.js';

const cases = oracle().cases.filter((c) => c.model === 'tiny_cnn');
const layer = oracle().models.tiny_cnn!.gradcam_layer.onnx_tensor;
const x = concatBatch(cases.map(caseInput));
const targets = [2, 7];

/** Small, fast options per method; every registered method must have a row. */
const CONFIG: Record<string, Record<string, unknown>> = {
  saliency: {},
  'input-x-gradient': {},
  'integrated-gradients': { steps: 4 },
  smoothgrad: { samples: 2, seed: 1 },
  'smoothgrad-sq': { samples: 2, seed: 1 },
  vargrad: { samples: 2, seed: 1 },
  'guided-backprop': {},
  'guided-backprop-clip': {},
  deconvnet: {},
  'grad-cam': { layer },
  'grad-cam-plus-plus': { layer },
  'layer-cam': { layer },
  'hires-cam': { layer },
  cam: { layer },
  'guided-grad-cam': { layer },
  deeplift: {},
  'score-cam': { layer },
  'ablation-cam': { layer },
  'meaningful-perturbation': { steps: 2 },
  occlusion: { window: [3, 16, 16], strides: [3, 16, 16] },
  'feature-ablation': {},
  rise: { masks: 16, seed: 1 },
  lime: { samples: 16, segments: 6, seed: 1 },
  'kernel-shap': { samples: 16, segments: 6, seed: 1 },
};

/** Wraps a runtime and counts sessions that are open. */
function countingRuntime(inner: Runtime): Runtime & { open: () => number } {
  let open = 0;
  return {
    name: `counting ${inner.name}`,
    open: () => open,
    async createSession(bytes, options) {
      const s = await inner.createSession(bytes, options);
      open++;
      let closed = false;
      return {
        inputNames: s.inputNames,
        outputNames: s.outputNames,
        run: (feeds, fetches) => s.run(feeds, fetches),
        async dispose() {
          if (!closed) {
            closed = true;
            open--;
          }
          await s.dispose();
        },
      };
    },
  };
}

function expectedShape(result: Tensor, n: number): void {
  const s = result.shape;
  const inputShaped = s.join() === [n, 3, 32, 32].join();
  const mapShaped = s.length === 4 && s[0] === n && s[1] === 1;
  assert.ok(inputShaped || mapShaped, `unexpected attribution shape [${s.join(', ')}]`);
}

describe('method conformance', () => {
  it('every registered method has a row in the config table', () => {
    assert.deepEqual(
      methodNames().filter((m) => !(m in CONFIG)),
      [],
    );
  });

  for (const method of methodList()) {
    const name = method.name;
    it(name, async () => {
      const options = CONFIG[name] ?? {};
      const runtime = countingRuntime(nodeRuntime);
      const model = await Model.load(oracleModelBytes(cases[0]!), { runtime });
      try {
        const batch = await method.attribute(model, x, { ...options, target: targets, batchSize: 8 });
        expectedShape(batch.attribution, 2);
        assert.deepEqual([...batch.targets], targets);
        for (let i = 0; i < 2; i++) {
          const single = await method.attribute(model, sliceBatch(x, i, 1), { ...options, target: targets[i], batchSize: 1 });
          assertClose(sliceBatch(batch.attribution, i, 1), single.attribution, 1e-4, `${name} sample ${i}`);
        }
        const nan = { data: Float32Array.from(x.data.subarray(0, 3072), (v, i) => (i === 7 ? Number.NaN : v)), shape: [1, 3, 32, 32] };
        await assert.rejects(method.attribute(model, nan, options), (e: unknown) => isLucernaError(e, 'NON_FINITE_INPUT'));
        await assert.rejects(method.attribute(model, sliceBatch(x, 0, 1), { ...options, target: 10 }), (e: unknown) => isLucernaError(e, 'BAD_TARGET'));
        const wrong = { data: new Float32Array(3 * 16 * 16), shape: [1, 3, 16, 16] };
        await assert.rejects(method.attribute(model, wrong, options), (e: unknown) => isLucernaError(e, 'BAD_SHAPE'));
      } finally {
        await model.dispose();
      }
      assert.equal(runtime.open(), 0, 'sessions left open after dispose');
    });
  }
});

/** A value each option type refuses. */
const BAD_VALUE: Record<MethodOption['type'], string | undefined> = {
  integer: '1.5',
  number: 'many',
  probability: '2',
  integers: '3,-1',
  choice: 'sideways',
  switch: undefined,
  baseline: 'purple',
  'tensor-file': '/nonexistent/lucerna.npy',
  'segments-file': '/nonexistent/lucerna.npy',
  text: undefined,
};

const keyOf = (flag: string) => (flag.split(' ')[0] as string).slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

describe('method descriptors', () => {
  it('the README lists every registered method', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    assert.deepEqual(
      methodNames().filter((m) => !readme.includes(`\`${m}\``)),
      [],
    );
  });

  for (const method of methodList()) {
    const flags = method.options.map((o) => o.flag);
    it(`${method.name}: needs match its options`, () => {
      assert.equal(flags.includes('--layer <name>'), method.needs.layer, 'needs.layer ⇔ takes --layer');
      assert.equal(flags.includes('--baseline <spec>'), method.needs.baseline, 'needs.baseline ⇔ takes --baseline');
      assert.equal(method.needs.gradients, method.kind === 'gradient' || (method.kind === 'layer' && method.name !== 'cam' && method.name !== 'ablation-cam'));
      if (method.output === 'layer-map')
        for (const o of LAYER_MAP_OPTIONS) assert.ok(flags.includes(o.flag), `${method.name} has a layer map but not ${o.flag}`);
      assert.equal(new Set(flags).size, flags.length, 'no option twice');
    });

    it(`${method.name}: bad option values and undeclared flags fail clearly`, async () => {
      for (const option of method.options) {
        const bad = BAD_VALUE[option.type];
        if (bad === undefined) continue;
        const long = option.flag.split(' ')[0] as string;
        await assert.rejects(
          buildMethodOptions(method, { [keyOf(option.flag)]: bad }),
          (e: unknown) =>
            isLucernaError(e) &&
            e.message.includes(long) === (option.type !== 'tensor-file' && option.type !== 'segments-file') &&
            (isLucernaError(e, 'BAD_OPTION') || isLucernaError(e, 'FILE_NOT_FOUND')),
          `${method.name} ${long} ${bad}`,
        );
      }
      // Every count has an upper bound: a typo such as --steps 1e9 (or 1e12) is refused at once, not run for days.
      for (const option of method.options.filter((o) => o.type === 'integer')) {
        const long = option.flag.split(' ')[0] as string;
        assert.ok(option.max !== undefined && Number.isFinite(option.max), `${method.name} ${long} declares no max`);
        for (const over of [String((option.max as number) + 1), '1e12']) {
          await assert.rejects(
            buildMethodOptions(method, { [keyOf(option.flag)]: over }),
            (e: unknown) => isLucernaError(e, 'BAD_OPTION') && e.message.includes(`${long} must be an integer from`),
            `${method.name} ${long} ${over}`,
          );
        }
        assert.equal((await buildMethodOptions(method, { [keyOf(option.flag)]: String(option.max) }))[option.key], option.max);
      }
      const undeclared = methodFlagSpecs().find((s) => !flags.includes(s.flags) && !/^--(abs|relu)\b/.test(s.flags));
      if (undeclared) {
        await assert.rejects(
          buildMethodOptions(method, { [keyOf(undeclared.flags)]: '1' }),
          (e: unknown) => isLucernaError(e, 'BAD_OPTION') && /does not apply to/.test(e.message),
        );
      }
    });
  }
});
