/**
 * meanActivations (interpretable CNNs, https://arxiv.org/abs/1710.00935) reads its samples in
 * whole batches on the batching core: the means do not depend on the batch size, a short tail is
 * left out, and an aborted signal stops it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dataset } from '../../src/datasets/types.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { createModel } from '../../src/models/architectures.js';
import { graphFromBytes } from '../../src/onnx/builder.js';
import { meanActivations } from '../../src/training/interpretable/setup.js';

const SHAPE = [3, 8, 8];
const PER = 192;
const graph = graphFromBytes(createModel('small-cnn', { classes: 2, input: [3, 8, 8], seed: 1 }));

/** 300 samples, class 0 first; sample i is a ramp scaled by i, so every sample differs. Records the batches read. */
function rampSet(reads: number[][]): Dataset {
  const labels = Int32Array.from({ length: 300 }, (_, i) => (i < 200 ? 0 : 1));
  return {
    size: labels.length,
    sampleShape: SHAPE,
    classNames: ['bird', 'none'],
    labels: async () => labels,
    read: async (indices) => {
      reads.push([...indices]);
      const x = new Float32Array(indices.length * PER);
      indices.forEach((i, k) => {
        for (let j = 0; j < PER; j++) x[k * PER + j] = Math.sin(0.37 * j + 0.11 * i);
      });
      return { x: { data: x, shape: [indices.length, ...SHAPE] }, labels: Int32Array.from(indices, (i) => labels[i] as number) };
    },
  };
}

const means = async (batchSize: number, assignSamples: number, reads: number[][] = [], signal?: AbortSignal) =>
  (
    await meanActivations(nodeRuntime, graph, ['Relu_3'], rampSet(reads), 2, { tensors: ['Relu_3'], mode: 'multi', assignSamples, batchSize }, {}, 'mean', {
      signal,
    })
  ).get('Relu_3') as Float64Array;

describe('meanActivations on the batching core', () => {
  it('gives the same means for every batch size that reads the same samples', async () => {
    const reads: number[][] = [];
    const one = await means(64, 64, reads);
    assert.deepEqual(
      reads.map((r) => r.length),
      [64],
    );
    for (const batchSize of [8, 16, 32]) {
      const r = await means(batchSize, 64);
      for (const [i, v] of one.entries()) assert.ok(Math.abs((r[i] as number) - v) < 1e-5, `batch ${batchSize}, entry ${i}: ${r[i]} vs ${v}`);
    }
  });

  it('reads whole batches only, and fewer samples than a batch once, wrapping around', async () => {
    const reads: number[][] = [];
    await means(8, 20, reads);
    assert.deepEqual(
      reads.map((r) => r.length),
      [8, 8],
      'a tail of 4 is left out',
    );
    const small: number[][] = [];
    await means(16, 5, small);
    assert.deepEqual(small, [Array.from({ length: 16 }, (_, i) => (i % 5) * 60)], 'one batch that wraps around 5 samples spread over the set');
  });

  it('stops when the signal fires', async () => {
    const controller = new AbortController();
    controller.abort();
    const reads: number[][] = [];
    await assert.rejects(means(8, 64, reads, controller.signal), { code: 'ABORTED' });
    assert.deepEqual(reads, []);
  });
});
