/**
 * The cross-entropy term and the train-mode BatchNorm rewrite: hand-computed values and gradients
 * against finite differences (through the batch mean and variance).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { differentiate } from '../../src/compiler/differentiate.js';
import { standardRules } from '../../src/compiler/rulesets/index.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { probeGraph } from '../../src/engine/probe.js';
import type { EngineTensor } from '../../src/engine/runtime.js';
import { float } from '../../src/onnx/attributes.js';
import { buildModel, type GraphBuilder, graphFromBytes } from '../../src/onnx/builder.js';
import { rewriteBatchNormForTraining } from '../../src/training/batchnorm.js';
import { oneHotRows, softmaxCrossEntropy } from '../../src/training/loss.js';
import { gradCheck } from '../helpers/gradcheck.js';

function emitLoss(b: GraphBuilder, logits: string, labels: number[], classes: number, smoothing: number): string {
  const oneHot = b.weight('onehot', oneHotRows(labels, classes), [labels.length, classes]);
  const term = softmaxCrossEntropy({ labelSmoothing: smoothing });
  return term.emit({ b, logits, batch: labels.length, classes, oneHot, shape: () => [labels.length, classes] });
}

async function lossValue(logits: number[], labels: number[], classes: number, smoothing: number): Promise<number> {
  const bytes = buildModel({
    inputs: [{ name: 'z', dims: [labels.length, classes] }],
    outputs: ['loss'],
    build: (b) => b.op('Identity', [emitLoss(b, 'z', labels, classes, smoothing)], {}, { outputs: ['loss'] }),
  });
  const s = await nodeRuntime.createSession(bytes);
  try {
    return ((await s.run({ z: { data: new Float32Array(logits), shape: [labels.length, classes] } })).loss as EngineTensor).data[0] as number;
  } finally {
    await s.dispose();
  }
}

describe('softmax cross-entropy term', () => {
  it('mean over the batch of −log softmax at the label', async () => {
    // rows [1, 0] label 0 → log(1 + e^−1); [0, 0] label 1 → log 2
    const want = (Math.log(1 + Math.exp(-1)) + Math.log(2)) / 2;
    assert.ok(Math.abs((await lossValue([1, 0, 0, 0], [0, 1], 2, 0)) - want) < 1e-6);
  });
  it('label smoothing ε: target (1 − ε)·onehot + ε/K', async () => {
    const lp0 = -Math.log(1 + Math.exp(-1));
    const lp1 = -Math.log(1 + Math.exp(1));
    const want = -(0.95 * lp0 + 0.05 * lp1);
    assert.ok(Math.abs((await lossValue([1, 0], [0], 2, 0.1)) - want) < 1e-6);
  });
  it('gradient with smoothing against finite differences', () =>
    gradCheck({
      inputs: [{ name: 'z', shape: [3, 4] }],
      output: 'loss',
      build: (b) => b.op('Identity', [emitLoss(b, 'z', [0, 3, 1], 4, 0.2)], {}, { outputs: ['loss'] }),
    }).then(() => undefined));
});

/** A BatchNormalization node in training form, built by the same rewrite the step graph uses. */
function trainingBn(b: GraphBuilder, shape: number[], outputs: { y: string; mean?: string; var?: string }) {
  b.op(
    'BatchNormalization',
    ['x', 'scale', 'bias', b.weight('rm', [0.5, -0.5, 0], [3]), b.weight('rv', [1, 2, 3], [3])],
    { momentum: float(0.9) },
    { outputs: [outputs.y] },
  );
  const updates = rewriteBatchNormForTraining(b.graph, b, () => shape);
  if (outputs.mean) b.op('Identity', [updates[0]?.next as string], {}, { outputs: [outputs.mean] });
  if (outputs.var) b.op('Identity', [updates[1]?.next as string], {}, { outputs: [outputs.var] });
}

describe('BatchNorm in train mode', () => {
  const shape = [2, 3, 3, 2];
  it('gradients of X, scale and bias through the batch statistics, against finite differences', () =>
    gradCheck({
      inputs: [
        { name: 'x', shape },
        { name: 'scale', shape: [3] },
        { name: 'bias', shape: [3] },
      ],
      output: 'y',
      eps: 1e-3,
      build: (b) => trainingBn(b, shape, { y: 'y' }),
    }).then(() => undefined));
  it('normalises with the biased batch variance and updates the running stats as PyTorch (unbiased, momentum 0.9)', async () => {
    const bytes = buildModel({
      opset: 18,
      inputs: [
        { name: 'x', dims: [2, 3, 1, 2] },
        { name: 'scale', dims: [3] },
        { name: 'bias', dims: [3] },
      ],
      outputs: ['y', 'm', 'v'],
      build: (b) => trainingBn(b, [2, 3, 1, 2], { y: 'y', mean: 'm', var: 'v' }),
    });
    // channel 0 over the batch: values 1, 2, 3, 6 → mean 3, biased var 3.5, unbiased 14/3
    const x = new Float32Array([1, 2, 0, 0, 0, 0, 3, 6, 1, 1, 1, 1]);
    const s = await nodeRuntime.createSession(bytes, { optimization: 'disabled' });
    try {
      const r = await s.run({
        x: { data: x, shape: [2, 3, 1, 2] },
        scale: { data: new Float32Array([2, 1, 1]), shape: [3] },
        bias: { data: new Float32Array([1, 0, 0]), shape: [3] },
      });
      const y = r.y?.data as Float32Array;
      assert.ok(Math.abs((y[0] as number) - (1 + (2 * (1 - 3)) / Math.sqrt(3.5 + 1e-5))) < 1e-5);
      assert.ok(Math.abs(((r.m as EngineTensor).data[0] as number) - (0.9 * 0.5 + 0.1 * 3)) < 1e-6);
      assert.ok(Math.abs(((r.v as EngineTensor).data[0] as number) - (0.9 * 1 + (0.1 * 14) / 3)) < 1e-6);
    } finally {
      await s.dispose();
    }
  });
  it('statistics computed from the input in any other form are refused with the node named, not differentiated as batch statistics', async () => {
    const bytes = buildModel({
      opset: 18,
      inputs: [{ name: 'x', dims: [2, 3, 2, 2] }],
      outputs: ['y'],
      build: (b) => {
        const axes = b.constInt64([0, 2, 3]);
        const max = b.op('Reshape', [b.op('ReduceMax', ['x', axes], { keepdims: 1 }), b.constInt64([3])]);
        const ones = b.weight('ones', [1, 1, 1], [3]);
        b.op('BatchNormalization', ['x', ones, b.weight('zero', [0, 0, 0], [3]), max, ones], {}, { outputs: ['y'], name: 'bn_max' });
      },
    });
    const graph = graphFromBytes(bytes);
    const probe = await probeGraph(nodeRuntime, graph);
    assert.throws(
      () => differentiate(graph, probe, { seeds: ['y'], wrt: ['x'], read: [] }, standardRules),
      (e: Error & { code?: string }) => e.code === 'UNSUPPORTED_MODEL' && /"bn_max"/.test(e.message) && /mean or variance/.test(e.message),
    );
  });
});
