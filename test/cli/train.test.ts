/**
 * `lucerna train` through `main(argv)` in-process: bad input is one line on stderr and leaves no
 * checkpoint; freezing, validation, and resuming from the optimizer side file.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { serializeNpy } from '../../src/io/npy.js';
import { buildModel, type GraphBuilder, graphFromBytes } from '../../src/onnx/builder.js';
import { readFloats } from '../../src/onnx/tensors.js';
import { lucerna, lucernaJson, lucernaWith } from '../helpers/cli.js';
import { rng, uniform } from '../helpers/gradcheck.js';

const ORACLE = join(import.meta.dirname, '../../../shared/oracle-train/tiny_bn');
const work = await mkdtemp(join(tmpdir(), 'lucerna-train-cli-'));
after(() => rm(work, { recursive: true, force: true }));

const train = (...args: string[]) => lucerna('train', ...args);

function assertOneLine(r: { code: number; stderr: string }, code: number, pattern: RegExp, out: string): void {
  assert.equal(r.code, code, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] as string, /^error: /);
  assert.match(lines[0] as string, pattern);
  assert.ok(!existsSync(out), 'no checkpoint is written');
}

function file(name: string, bytes: Uint8Array): string {
  const path = join(work, name);
  writeFileSync(path, bytes);
  return path;
}

/** A model x [N, 4] → Gemm → (build) → logits [N, 3]. */
function tinyModel(name: string, after?: (b: GraphBuilder, h: string) => string, withWeights = true): string {
  return file(
    name,
    buildModel({
      inputs: [{ name: 'x', dims: ['n', 4] }],
      outputs: ['logits'],
      build: (b) => {
        const h = withWeights
          ? b.op('Gemm', ['x', b.weight('fc.weight', uniform(12, rng(1)), [3, 4]), b.weight('fc.bias', [0, 0, 0], [3])], { transB: 1 })
          : b.op('Slice', ['x', b.constInt64([0]), b.constInt64([3]), b.constInt64([1])]);
        b.op('Identity', [after ? after(b, h) : h], {}, { outputs: ['logits'] });
      },
    }),
  );
}

const x8 = file('x8.npy', serializeNpy({ data: uniform(32, rng(2)), shape: [8, 4] }));
const y8 = file('y8.npy', serializeNpy({ data: new BigInt64Array([0n, 1n, 2n, 0n, 1n, 2n, 0n, 1n]), shape: [8] }));
const model = tinyModel('tiny.onnx');

describe('lucerna train: bad input', () => {
  it('labels out of range', async () => {
    const y = file('y-bad.npy', serializeNpy({ data: new BigInt64Array([0n, 1n, 7n, 0n, 1n, 2n, 0n, 1n]), shape: [8] }));
    const out = join(work, 'o1.onnx');
    assertOneLine(await train(model, '--inputs', x8, '--labels', y, '--out', out), 1, /Label 7 of sample 2 is out of range: the model has 3 classes/, out);
  });
  it('the wrong number of labels', async () => {
    const y = file('y-short.npy', serializeNpy({ data: new BigInt64Array([0n, 1n]), shape: [2] }));
    const out = join(work, 'o2.onnx');
    assertOneLine(await train(model, '--inputs', x8, '--labels', y, '--out', out), 1, /has 2 labels for 8 samples/, out);
  });
  it('float labels', async () => {
    const y = file('y-float.npy', serializeNpy({ data: new Float32Array(8), shape: [8] }));
    const out = join(work, 'o3.onnx');
    assertOneLine(await train(model, '--inputs', x8, '--labels', y, '--out', out), 1, /must be integer class indices/, out);
  });
  it('a model without trainable initializers', async () => {
    const out = join(work, 'o4.onnx');
    assertOneLine(await train(tinyModel('none.onnx', undefined, false), '--inputs', x8, '--labels', y8, '--out', out), 1, /no trainable initializers/, out);
  });
  it('every parameter frozen', async () => {
    const out = join(work, 'o5.onnx');
    assertOneLine(await train(model, '--inputs', x8, '--labels', y8, '--freeze', 'fc.*', '--out', out), 1, /Every parameter matches a --freeze pattern/, out);
  });
  it('an op with no gradient rule names the op and the node', async () => {
    const m = tinyModel('softplus.onnx', (b, h) => b.op('Softplus', [h], {}, { name: 'soft1' }));
    const out = join(work, 'o6.onnx');
    assertOneLine(await train(m, '--inputs', x8, '--labels', y8, '--out', out), 1, /No gradient rule for op Softplus \(node "soft1"\)/, out);
  });
  it('a NaN loss says at which step and learning rate, and writes nothing', async () => {
    const values = uniform(32, rng(2));
    values[9] = Number.NaN; // sample 2, in the second batch of two
    const x = file('x-nan.npy', serializeNpy({ data: values, shape: [8, 4] }));
    const out = join(work, 'o7.onnx');
    assertOneLine(
      await train(model, '--inputs', x, '--labels', y8, '--batch-size', '2', '--no-shuffle', '--lr', '0.5', '--out', out),
      1,
      /The loss became NaN at step 2 \(learning rate 0\.5\)/,
      out,
    );
  });
  it('missing input file, unknown data set, and bad options are one line each', async () => {
    const out = join(work, 'o8.onnx');
    assertOneLine(await train(model, '--inputs', join(work, 'nope.npy'), '--labels', y8, '--out', out), 1, /nope\.npy/, out);
    assertOneLine(await train(model, '--inputs', x8, '--out', out), 2, /--inputs and --labels go together/, out);
    assertOneLine(await train(model, '--inputs', x8, '--labels', y8, '--bn', 'eval', '--out', out), 2, /--bn "eval" is not one of train, frozen/, out);
    assertOneLine(await train(model, '--inputs', x8, '--labels', y8, '--epochs', '1', '--steps', '2', '--out', out), 2, /--epochs or --steps/, out);
    assertOneLine(await train(model, '--inputs', x8, '--labels', y8, '--optimizer', 'rmsprop', '--out', out), 2, /Unknown optimizer/, out);
  });
  it('inputs of the wrong sample shape', async () => {
    const x = file('x-wide.npy', serializeNpy({ data: new Float32Array(40), shape: [8, 5] }));
    const out = join(work, 'o9.onnx');
    assertOneLine(await train(model, '--inputs', x, '--labels', y8, '--out', out), 1, /takes samples \[4\], the data has \[5\]/, out);
  });
});

const initializers = (path: string) => {
  const g = graphFromBytes(new Uint8Array(readFileSync(path)));
  return new Map([...g.initializers].map(([k, t]) => [k, readFloats(t)]));
};

describe('lucerna train: checkpoints', () => {
  const base = [
    '--inputs',
    join(ORACLE, 'x.npy'),
    '--labels',
    join(ORACLE, 'y.npy'),
    '--batch-size',
    '4',
    '--no-shuffle',
    '--optimizer',
    'sgd',
    '--lr',
    '0.05',
    '--momentum',
    '0.9',
  ];
  it('resuming from the optimizer side file continues exactly where the run stopped', async () => {
    const full = join(work, 'full.onnx');
    const half = join(work, 'half.onnx');
    const resumed = join(work, 'resumed.onnx');
    assert.equal((await train(join(ORACLE, 'model.onnx'), ...base, '--epochs', '2', '--out', full)).code, 0);
    assert.equal((await train(join(ORACLE, 'model.onnx'), ...base, '--epochs', '1', '--out', half)).code, 0);
    assert.ok(existsSync(join(work, 'half.optimizer.onnx')));
    assert.equal((await train(half, ...base, '--epochs', '1', '--resume', '--out', resumed)).code, 0);
    const a = initializers(full);
    const b = initializers(resumed);
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
    for (const [k, v] of a) assert.deepEqual(b.get(k), v, k);
  });
  it('--freeze keeps matching parameters and BatchNorm keeps its inference form and names', async () => {
    const out = join(work, 'frozen.onnx');
    assert.equal((await train(join(ORACLE, 'model.onnx'), ...base, '--steps', '2', '--freeze', 'conv1.*', '--freeze', 'bn1.*', '--out', out)).code, 0);
    const before = initializers(join(ORACLE, 'model.onnx'));
    const afterTraining = initializers(out);
    assert.deepEqual(afterTraining.get('conv1.weight'), before.get('conv1.weight'));
    assert.deepEqual(afterTraining.get('bn1.weight'), before.get('bn1.weight'));
    assert.notDeepEqual(afterTraining.get('conv2.weight'), before.get('conv2.weight'));
    // bn1's running statistics are state, not parameters: train mode still updates them
    assert.notDeepEqual(afterTraining.get('bn1.running_mean'), before.get('bn1.running_mean'));
    const g = graphFromBytes(new Uint8Array(readFileSync(out)));
    assert.equal(g.nodes.filter((n) => n.opType === 'BatchNormalization').length, 2);
  });
});

describe('lucerna train: Ctrl-C', () => {
  it('finishes the current step, writes the checkpoint and exits 130', async () => {
    const out = join(work, 'interrupted.onnx');
    // Ctrl-C is the run's cancellation signal (as the CLI's SIGINT handler aborts it); a million
    // steps cannot finish first, and the step under way when it fires is finished (at least one).
    const r = await lucernaWith(
      { signal: AbortSignal.timeout(200) },
      'train',
      model,
      '--inputs',
      x8,
      '--labels',
      y8,
      '--batch-size',
      '2',
      '--steps',
      '1000000',
      '--out',
      out,
    );
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /^interrupted: stopped after step \d+ of 1000000; checkpoint written to .*interrupted\.onnx\n$/);
    assert.ok(existsSync(out));
    assert.ok(existsSync(join(work, 'interrupted.optimizer.onnx')));
    const trained = initializers(out);
    assert.notDeepEqual(trained.get('fc.weight'), initializers(model).get('fc.weight'));
  });
});

describe('lucerna model create', () => {
  it('writes an untrained model that lucerna train takes', async () => {
    const created = join(work, 'created.onnx');
    const r = await lucerna('model', 'create', 'small-cnn', '--classes', '3', '--input', '1x8x8', '--seed', '2', '--out', created, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { arch: 'small-cnn', classes: 3, input: [1, 8, 8], seed: 2, out: created });
    const g = graphFromBytes(new Uint8Array(readFileSync(created)));
    assert.deepEqual(g.primaryInput().dims, ['batch', 1, 8, 8]);
  });

  it('gives one-line errors and writes nothing', async () => {
    const out = join(work, 'never.onnx');
    assertOneLine(await lucerna('model', 'create', 'alexnet', '--classes', '3', '--input', '1x8x8', '--out', out), 2, /Unknown architecture "alexnet"/, out);
    assertOneLine(await lucerna('model', 'create', 'small-cnn', '--classes', '3', '--input', '8x8', '--out', out), 2, /--input "8x8" must be CxHxW/, out);
    assertOneLine(await lucerna('model', 'create', 'small-cnn', '--input', '1x8x8', '--out', out), 2, /--classes/, out);
    assertOneLine(
      await lucerna('model', 'create', 'vgg11-bn', '--classes', '3', '--input', '3x32x32', '--width', '0', '--out', out),
      2,
      /--width 0 must be/,
      out,
    );
  });

  it('--width scales the channels', async () => {
    const created = join(work, 'narrow.onnx');
    const json = await lucernaJson('model', 'create', 'vgg11-bn', '--classes', '3', '--input', '3x32x32', '--width', '0.125', '--out', created);
    assert.equal(json.width, 0.125);
    assert.deepEqual(graphFromBytes(new Uint8Array(readFileSync(created))).initializerDims('features.0.weight'), [8, 3, 3, 3]);
  });
});
