/**
 * The compiler never returns a silent wrong answer: an op with no gradient rule is a clear error
 * naming the op type and the node, with the supported ops listed — in the library and the CLI.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Model } from '../src/engine/model.js';
import { nodeRuntime } from '../src/engine/node.js';
import { isLucernaError } from '../src/errors.js';
import { serializeNpy } from '../src/io/npy.js';
import { buildModel } from '../src/onnx/builder.js';
import { assertOneLineError, lucerna } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-compiler-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** x → Conv → Cos → GlobalAveragePool → Flatten: Cos has no gradient rule. */
const bytes = buildModel({
  inputs: [{ name: 'x', dims: [1, 1, 4, 4] }],
  outputs: ['y'],
  build: (b) => {
    const c = b.op('Conv', ['x', b.weight('w', [1, 0, -1, 2], [1, 1, 2, 2])], {});
    const s = b.op('Cos', [c], {}, { name: 'the_cos_node' });
    b.op('Flatten', [b.op('GlobalAveragePool', [s])], {}, { outputs: ['y'] });
  },
});

describe('an op with no gradient rule', () => {
  it('is a NO_GRADIENT_RULE error naming the op and the node, listing what is supported', async () => {
    await using model = await Model.load(bytes, { runtime: nodeRuntime });
    await assert.rejects(model.compile({ seeds: ['y'] }), (e: unknown) => {
      assert.ok(isLucernaError(e, 'NO_GRADIENT_RULE'));
      assert.match(e.message, /op Cos \(node "the_cos_node"\)/);
      assert.match(e.hint ?? '', /Supported ops: .*Conv.*Relu/);
      return true;
    });
  });

  it('forward-only use of the same model still works', async () => {
    await using model = await Model.load(bytes, { runtime: nodeRuntime });
    const out = await model.run({ data: new Float32Array(16).fill(0.5), shape: [1, 1, 4, 4] });
    assert.equal(out.y?.data.length, 1);
  });

  it('the CLI prints one line and exits non-zero', async () => {
    const modelPath = join(dir, 'cos.onnx');
    const inputPath = join(dir, 'x.npy');
    writeFileSync(modelPath, bytes);
    writeFileSync(inputPath, serializeNpy({ data: new Float32Array(16).fill(0.5), shape: [1, 1, 4, 4] }));
    const run = await lucerna('attribute', modelPath, '--input', inputPath, '--method', 'saliency', '--out', join(dir, 'a.npy'));
    assertOneLineError(run, 1, /No gradient rule for op Cos \(node "the_cos_node"\).*Supported ops:/);
  });
});

describe('bad plans', () => {
  it('an unknown tensor name suggests close names', async () => {
    await using model = await Model.load(bytes, { runtime: nodeRuntime });
    await assert.rejects(model.compile({ seeds: ['yy'] }), (e: unknown) => isLucernaError(e, 'UNKNOWN_TENSOR') && /"y"/.test(e.hint ?? ''));
  });

  it('a seed that does not depend on the wrt tensor is an error, not a zero gradient', async () => {
    const twoBranch = buildModel({
      inputs: [{ name: 'x', dims: [1, 2] }],
      outputs: ['y'],
      build: (b) => {
        const r = b.op('Relu', ['x'], {}, { outputs: ['r'] });
        b.op('Identity', ['x'], {}, { outputs: ['y'] });
        void r;
      },
    });
    await using model = await Model.load(twoBranch, { runtime: nodeRuntime });
    await assert.rejects(model.compile({ seeds: ['y'], wrt: ['r'] }), (e: unknown) => isLucernaError(e, 'BAD_PLAN'));
  });
});
