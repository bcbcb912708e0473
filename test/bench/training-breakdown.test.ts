import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { categoryOf, ranParallel } from '../../bench/step-profile.js';
import { breakdownTable, singleThreaded } from '../../bench/training.js';

describe('bench training: where the step goes', () => {
  it('puts each node in its part and kind of work', () => {
    assert.equal(categoryOf('/layer1/layer1.0/conv1/Conv', 'Conv'), 'convolutions and matrix products, forward');
    assert.equal(categoryOf('gemm/Gemm_node_3', 'Gemm'), 'convolutions and matrix products, forward');
    assert.equal(categoryOf('lucerna/Conv_node_12', 'Conv'), 'convolutions and matrix products, backward');
    assert.equal(categoryOf('fused/Gemm_node_42', 'Gemm'), 'convolutions and matrix products, backward');
    assert.equal(categoryOf('fused/Reshape_node_1', 'Reshape'), 'optimizer update (element-wise)');
    assert.equal(categoryOf('opt/Mul_node_7', 'Mul'), 'optimizer update (element-wise)');
    assert.equal(categoryOf('train/Sub_node', 'Sub'), 'BatchNorm batch statistics (forward)');
    assert.equal(categoryOf('lucerna/Transpose_node_9', 'Transpose'), 'layout and data movement (Transpose, Slice, Pad, Concat, …)');
    assert.equal(categoryOf('lucerna/ScatterElements_node', 'ScatterElements'), 'pooling and its backward (MaxPool, ScatterElements)');
    assert.equal(categoryOf('lucerna/Mul_node_1081', 'Mul'), 'element-wise backward (BatchNorm, ReLU masks, adds)');
    assert.equal(categoryOf('/relu/Relu', 'Relu'), 'element-wise forward (BatchNorm, ReLU, adds, loss)');
  });

  it('lists the categories largest first, then the time outside the kernels, as shares of the step', () => {
    const md = breakdownTable({ wallMs: 200, modelRunMs: 180, kernelMs: 170, categories: { small: 20, large: 150 } });
    const lines = md.split('\n');
    assert.match(lines[2] ?? '', /^\| large \| 150 \| 75\.0 % \|$/);
    assert.match(lines[3] ?? '', /^\| small \| 20\.0 \| 10\.0 % \|$/);
    assert.match(lines[4] ?? '', /ORT outside the kernels .*\| 10\.0 \| 5\.0 % \|$/);
    assert.match(lines[5] ?? '', /the binding.*\| 20\.0 \| 10\.0 % \|$/);
    assert.match(lines[6] ?? '', /\| 200 \| 100 % \|$/);
  });

  it("reads from ORT's thread statistics whether a kernel ran a parallel section", () => {
    // the shapes ORT 1.30 writes: the calling thread's block sizes, one per parallel section
    const stats = (blocks: number[]) => ({
      main_thread: { thread_pool_name: 'session-1-intra-op', block_size: blocks, core: 1, Distribution: 0, Run: 0, Wait: 0 },
      sub_threads: { '1405': { num_run: 21, core: 0 } },
    });
    assert.equal(ranParallel(stats([])), false);
    assert.equal(ranParallel(stats([1])), true);
    assert.equal(ranParallel(stats([32, 32])), true);
    assert.equal(ranParallel(undefined), undefined);
    assert.equal(ranParallel('n/a'), undefined);
    assert.equal(ranParallel({ main_thread: {} }), undefined);
  });

  it('says how much kernel time ran on one thread, when the profile knows', () => {
    const p = { wallMs: 200, modelRunMs: 180, kernelMs: 160, categories: {} };
    assert.equal(singleThreaded(p), '');
    assert.match(singleThreaded({ ...p, singleThreadedMs: 8 }), /no parallel section.*: 8\.00 ms per step \(5\.0 % of kernel time;/);
  });
});
