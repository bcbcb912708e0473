import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { categoryOf } from '../../bench/step-profile.js';
import { breakdownTable } from '../../bench/training.js';

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
});
