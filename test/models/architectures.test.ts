/**
 * `model create` architectures: torchvision's parameter names and counts, the logits shape, and a
 * small-cnn that learns a fixed batch.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeRuntime } from '../../src/engine/node.js';
import { createModel } from '../../src/models/architectures.js';
import { graphFromBytes } from '../../src/onnx/builder.js';
import { sgd } from '../../src/training/optimizers/index.js';
import { runningStatistics } from '../../src/training/parameters.js';
import { Trainer } from '../../src/training/trainer.js';
import { rng, uniform } from '../helpers/gradcheck.js';

function parameterCount(bytes: Uint8Array): { names: string[]; count: number } {
  const g = graphFromBytes(bytes);
  const stats = new Set(runningStatistics(g));
  let count = 0;
  const names: string[] = [];
  for (const [name] of g.initializers) {
    if (stats.has(name)) continue;
    names.push(name);
    count += g.initializerDims(name).reduce((p, d) => p * d, 1);
  }
  return { names, count };
}

async function logitsShape(bytes: Uint8Array, input: number[]): Promise<readonly number[]> {
  const s = await nodeRuntime.createSession(bytes);
  try {
    const x = uniform(
      input.reduce((p, d) => p * d, 1),
      rng(1),
    );
    return (await s.run({ input: { data: x, shape: input } })).logits?.dims ?? [];
  } finally {
    await s.dispose();
  }
}

describe('model create architectures', () => {
  it('resnet18 has torchvision’s parameters (11,689,512 at 1000 classes) and names', async () => {
    const bytes = createModel('resnet18', { classes: 1000, input: [3, 64, 64] });
    const { names, count } = parameterCount(bytes);
    assert.equal(count, 11_689_512);
    for (const n of ['conv1.weight', 'bn1.bias', 'layer2.0.downsample.0.weight', 'layer4.1.bn2.weight', 'fc.weight', 'fc.bias'])
      assert.ok(names.includes(n), n);
    assert.deepEqual(await logitsShape(bytes, [2, 3, 64, 64]), [2, 1000]);
  });
  it('vgg11-bn: torchvision’s feature indices and the logits shape', async () => {
    const bytes = createModel('vgg11-bn', { classes: 7, input: [3, 32, 32] });
    const { names } = parameterCount(bytes);
    for (const n of ['features.0.weight', 'features.1.weight', 'features.4.weight', 'features.26.weight', 'classifier.2.bias']) assert.ok(names.includes(n), n);
    assert.deepEqual(await logitsShape(bytes, [2, 3, 32, 32]), [2, 7]);
  });
  it('--width scales the channels of vgg11-bn and small-cnn; width 1 is the default net, byte for byte', async () => {
    const tiny = graphFromBytes(createModel('vgg11-bn', { classes: 3, input: [3, 32, 32], width: 1 / 8 }));
    assert.deepEqual(tiny.initializerDims('features.0.weight'), [8, 3, 3, 3]);
    assert.deepEqual(tiny.initializerDims('features.25.weight'), [64, 64, 3, 3]);
    assert.deepEqual(tiny.initializerDims('classifier.0.weight'), [64, 64]);
    assert.deepEqual(await logitsShape(createModel('vgg11-bn', { classes: 3, input: [3, 32, 32], width: 1 / 8 }), [2, 3, 32, 32]), [2, 3]);
    const half = graphFromBytes(createModel('small-cnn', { classes: 2, input: [1, 8, 8], width: 0.5 }));
    assert.deepEqual(half.initializerDims('conv2.weight'), [32, 16, 3, 3]);
    assert.deepEqual(half.initializerDims('fc1.weight'), [64, 32 * 2 * 2]);
    const narrow = graphFromBytes(createModel('resnet18', { classes: 3, input: [3, 32, 32], width: 1 / 8 }));
    assert.deepEqual(narrow.initializerDims('conv1.weight'), [8, 3, 7, 7]);
    assert.deepEqual(narrow.initializerDims('layer4.1.conv2.weight'), [64, 64, 3, 3]);
    assert.deepEqual(narrow.initializerDims('fc.weight'), [3, 64]);
    for (const arch of ['vgg11-bn', 'small-cnn', 'resnet18'])
      assert.deepEqual(createModel(arch, { classes: 3, input: [3, 32, 32], width: 1 }), createModel(arch, { classes: 3, input: [3, 32, 32] }));
    assert.throws(() => createModel('vgg11-bn', { classes: 3, input: [3, 32, 32], width: 0 }), /--width 0 must be a number in \(0, 4\]/);
  });
  it('small-cnn for 28×28 grey images learns a fixed batch (the loss falls)', async () => {
    const bytes = createModel('small-cnn', { classes: 4, input: [1, 28, 28], seed: 3 });
    assert.deepEqual(await logitsShape(bytes, [1, 1, 28, 28]), [1, 4]);
    await using trainer = await Trainer.create(graphFromBytes(bytes), [1, 28, 28], { runtime: nodeRuntime, optimizer: sgd, hyper: { momentum: 0.9 } });
    const x = { data: uniform(8 * 784, rng(4), 0, 1), shape: [8, 1, 28, 28] };
    const labels = [0, 1, 2, 3, 0, 1, 2, 3];
    const first = (await trainer.step(x, labels, 0.05)).loss;
    let last = first;
    for (let i = 0; i < 15; i++) last = (await trainer.step(x, labels, 0.05)).loss;
    assert.ok(last < first * 0.5, `loss ${first} → ${last}`);
  });
  it('unknown architectures and bad class counts fail clearly', () => {
    assert.throws(() => createModel('alexnet', { classes: 3, input: [3, 64, 64] }), /Unknown architecture "alexnet".*/);
    assert.throws(() => createModel('small-cnn', { classes: 1, input: [1, 28, 28] }), /--classes 1 must be an integer of at least 2/);
    assert.throws(() => createModel('small-cnn', { classes: 3, input: [1, 30, 30] }), /divisible by 4/);
  });
});
