import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchesOf, epochOrder, validationSplit } from '../../src/datasets/order.js';
import { learningRate } from '../../src/training/schedule.js';

const at = (step: number) => ({ step, stepsPerEpoch: 10, totalSteps: 100 });

describe('learning-rate schedules', () => {
  it('constant', () => assert.equal(learningRate({ kind: 'constant' }, 0.1, at(57)), 0.1));
  it('linear warm-up: step t runs at lr·(t + 1)/W', () => {
    assert.equal(learningRate({ kind: 'constant', warmupSteps: 4 }, 0.2, at(0)), 0.05);
    assert.equal(learningRate({ kind: 'constant', warmupSteps: 4 }, 0.2, at(3)), 0.2);
    assert.equal(learningRate({ kind: 'constant', warmupSteps: 4 }, 0.2, at(4)), 0.2);
  });
  it('step decay per epoch (StepLR)', () => {
    const s = { kind: 'step', gamma: 0.5, stepEpochs: 2 } as const;
    assert.equal(learningRate(s, 1, at(19)), 1);
    assert.equal(learningRate(s, 1, at(20)), 0.5);
    assert.equal(learningRate(s, 1, at(45)), 0.25);
  });
  it('cosine from lr to 0 over the steps after warm-up', () => {
    const s = { kind: 'cosine', warmupSteps: 20 } as const;
    assert.equal(learningRate(s, 1, at(20)), 1);
    assert.ok(Math.abs(learningRate(s, 1, at(60)) - 0.5) < 1e-12);
    assert.ok(Math.abs(learningRate(s, 1, at(100))) < 1e-12);
  });
});

describe('sample orders', () => {
  it('file order without shuffling', () => assert.deepEqual(epochOrder(5, { shuffle: false, seed: 3, epoch: 2 }), [0, 1, 2, 3, 4]));
  it('a seeded permutation that repeats for the same seed and epoch and changes with the epoch', () => {
    const a = epochOrder(50, { shuffle: true, seed: 1, epoch: 0 });
    assert.deepEqual(
      [...a].sort((x, y) => x - y),
      [...Array(50).keys()],
    );
    assert.deepEqual(epochOrder(50, { shuffle: true, seed: 1, epoch: 0 }), a);
    assert.notDeepEqual(epochOrder(50, { shuffle: true, seed: 1, epoch: 1 }), a);
    assert.notDeepEqual(epochOrder(50, { shuffle: true, seed: 2, epoch: 0 }), a);
  });
  it('validation split: a seeded, disjoint, covering split of the requested size', () => {
    const { train, val } = validationSplit(20, 0.25, 0);
    assert.equal(val.length, 5);
    assert.deepEqual(
      [...train, ...val].sort((x, y) => x - y),
      [...Array(20).keys()],
    );
    assert.deepEqual(validationSplit(20, 0.25, 0), { train, val });
    assert.deepEqual(validationSplit(4, 0, 0), { train: [0, 1, 2, 3], val: [] });
  });
  it('batches keep a short last batch', () => assert.deepEqual(batchesOf([3, 1, 2, 0, 4], 2), [[3, 1], [2, 0], [4]]));
});
