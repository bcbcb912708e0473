/**
 * Every supported layer type on small TF.js models with random weights: the converted ONNX model
 * must match TF.js' own forward pass to 1e-4.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { convertLayersModelWithSidecar } from '../../src/convert/convert.js';
import { graphFromBytes } from '../../src/onnx/builder.js';
import {
  type Artifacts,
  assertAllClose,
  loadArtifacts,
  quantizeArtifacts,
  randomInput,
  randomizeWeights,
  runOnnx,
  saveArtifacts,
  tf,
  tfPredict,
} from './tfjs-harness.js';

const ATOL = 1e-4;

/** Converts the artifacts and compares ORT with TF.js (reloaded from the same artifacts). */
async function expectMatch(artifacts: Artifacts, inputShape: number[], seed: number, label: string) {
  const converted = convertLayersModelWithSidecar(artifacts.modelJson, artifacts.weightData);
  const input = randomInput(inputShape, seed);
  const reference = await tfPredict(await loadArtifacts(artifacts), input, inputShape);
  const outputs = await runOnnx(converted.onnx, input, inputShape);
  const name = converted.facts.outputs[0]?.name as string;
  assertAllClose(outputs[name] as Float32Array, reference, ATOL, label);
  return converted;
}

async function saved(model: tf.LayersModel, seed: number): Promise<Artifacts> {
  randomizeWeights(model, seed);
  return saveArtifacts(model);
}

function opTypes(onnx: Uint8Array): string[] {
  return graphFromBytes(onnx).nodes.map((n) => n.opType ?? '');
}

describe('convertLayersModel: layers against TF.js', () => {
  test('Conv2D (same/valid, strides, dilation, bias, activations), DepthwiseConv2D, SeparableConv2D, folded and kept BatchNormalization', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [11, 9, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'c1' }),
        tf.layers.conv2d({ filters: 5, kernelSize: [3, 2], dilationRate: 2, padding: 'valid', useBias: false, name: 'c2' }),
        tf.layers.batchNormalization({ epsilon: 0.01, name: 'bn2' }),
        tf.layers.reLU({ maxValue: 6, name: 'r2' }),
        tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', name: 'dw' }),
        tf.layers.batchNormalization({ center: false, name: 'bn_dw' }),
        // TF.js does not save depth_multiplier of SeparableConv2D, so it cannot reload one other than 1
        tf.layers.separableConv2d({ filters: 3, kernelSize: 2, padding: 'same', activation: 'sigmoid', name: 'sep' }),
        tf.layers.batchNormalization({ scale: false, name: 'bn_kept' }),
        tf.layers.conv2d({ filters: 6, kernelSize: 1, activation: 'relu6', name: 'c3' }),
        tf.layers.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'sep2' }),
        tf.layers.batchNormalization({ name: 'bn_sep2' }),
        tf.layers.activation({ activation: 'tanh', name: 'act_tanh' }),
      ],
    });
    const converted = await expectMatch(await saved(model, 1), [2, 11, 9, 3], 11, 'conv stack');
    assert.deepEqual([...converted.facts.foldedBatchNorms].sort(), ['bn2', 'bn_dw', 'bn_sep2']);
    const ops = opTypes(converted.onnx);
    assert.equal(ops.filter((o) => o === 'BatchNormalization').length, 1, 'only the BN after an activation stays');
    assert.deepEqual(converted.facts.input.dims, ['N', 3, 11, 9]);
  });

  test('TF same padding with stride 2 is asymmetric (explicit pads with the extra pixel at the end)', async () => {
    const model = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 1, kernelSize: 3, strides: 2, padding: 'same', name: 'c' })] });
    const converted = await expectMatch(await saved(model, 2), [1, 8, 8, 1], 3, 'even size same stride 2');
    const conv = graphFromBytes(converted.onnx).nodes.find((n) => n.opType === 'Conv');
    const pads = conv?.attribute?.find((a) => a.name === 'pads')?.ints?.map(Number);
    assert.deepEqual(pads, [0, 0, 1, 1]);
  });

  test('free spatial dims: same padding falls back to SAME_UPPER, which is TF same', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [null, null, 2], filters: 3, kernelSize: 3, strides: 2, padding: 'same', name: 'c' }),
        tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'avg' }),
        tf.layers.maxPooling2d({ poolSize: 2, padding: 'same', name: 'max' }),
        tf.layers.globalAveragePooling2d({ name: 'gap' }),
      ],
    });
    const converted = await expectMatch(await saved(model, 12), [1, 9, 12, 2], 13, 'free dims');
    assert.deepEqual(converted.facts.input.dims, ['N', 2, 'H', 'W']);
    assert.deepEqual(converted.sidecar.preprocessing, { layout: 'NCHW' });
  });

  test('BatchNormalization stays a BatchNormalization when its conv has another reader', async () => {
    const input = tf.input({ shape: [6, 6, 2], name: 'image' });
    const conv = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', name: 'shared_conv' }).apply(input) as tf.SymbolicTensor;
    const bn = tf.layers.batchNormalization({ name: 'bn' }).apply(conv) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'sum' }).apply([conv, bn]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: sum });
    const converted = await expectMatch(await saved(model, 3), [1, 6, 6, 2], 4, 'unfolded BN');
    assert.deepEqual(converted.facts.foldedBatchNorms, []);
    assert.ok(opTypes(converted.onnx).includes('BatchNormalization'));
  });

  test('ZeroPadding2D, MaxPooling2D and AveragePooling2D (same/valid), GlobalMax/GlobalAveragePooling2D', async () => {
    const input = tf.input({ shape: [9, 7, 3], name: 'image' });
    const padded = tf.layers
      .zeroPadding2d({
        padding: [
          [1, 2],
          [0, 1],
        ],
        name: 'pad',
      })
      .apply(input) as tf.SymbolicTensor;
    const maxSame = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'max_same' }).apply(padded) as tf.SymbolicTensor;
    const avgSame = tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'avg_same' }).apply(maxSame) as tf.SymbolicTensor;
    const avgValid = tf.layers.averagePooling2d({ poolSize: [2, 1], padding: 'valid', name: 'avg_valid' }).apply(padded) as tf.SymbolicTensor;
    const maxValid = tf.layers.maxPooling2d({ poolSize: 2, name: 'max_valid' }).apply(avgValid) as tf.SymbolicTensor;
    const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(avgSame) as tf.SymbolicTensor;
    const gmp = tf.layers.globalMaxPooling2d({ name: 'gmp' }).apply(maxValid) as tf.SymbolicTensor;
    const both = tf.layers.concatenate({ name: 'both' }).apply([gap, gmp]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: both });
    await expectMatch(await saved(model, 4), [2, 9, 7, 3], 5, 'pooling');
  });

  test('same AveragePooling2D divides by the unpadded count at the border', async () => {
    const model = tf.sequential({ layers: [tf.layers.averagePooling2d({ inputShape: [5, 5, 1], poolSize: 3, strides: 1, padding: 'same', name: 'avg' })] });
    const converted = await expectMatch(await saved(model, 5), [1, 5, 5, 1], 6, 'avg same');
    const ones = new Float32Array(25).fill(1);
    const out = (await runOnnx(converted.onnx, ones, [1, 5, 5, 1])).avg as Float32Array;
    assertAllClose(out, new Float32Array(25).fill(1), 1e-6, 'mean of ones is one, also in corners');
  });

  test('Add, Multiply, Concatenate (channel and height axes), Activation, ReLU, LeakyReLU and Softmax layers', async () => {
    const input = tf.input({ shape: [6, 5, 3], name: 'image' });
    const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'elu', name: 'a' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'swish', name: 'b' }).apply(input) as tf.SymbolicTensor;
    const c = tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'tanh', name: 'c' }).apply(input) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'sum' }).apply([a, b, c]) as tf.SymbolicTensor;
    const prod = tf.layers.multiply({ name: 'prod' }).apply([a, b]) as tf.SymbolicTensor;
    const channels = tf.layers.concatenate({ axis: -1, name: 'cat_c' }).apply([sum, prod]) as tf.SymbolicTensor;
    const rows = tf.layers.concatenate({ axis: 1, name: 'cat_h' }).apply([channels, channels]) as tf.SymbolicTensor;
    const relu = tf.layers.reLU({ name: 'relu' }).apply(rows) as tf.SymbolicTensor;
    const leaky = tf.layers
      .leakyReLU({ alpha: 0.2, name: 'leaky' })
      .apply(tf.layers.activation({ activation: 'linear', name: 'lin' }).apply(sum)) as tf.SymbolicTensor;
    const rowsSoftmax = tf.layers
      .softmax({ axis: -1, name: 'channel_softmax' })
      .apply(tf.layers.concatenate({ axis: 1, name: 'cat_h2' }).apply([leaky, leaky])) as tf.SymbolicTensor;
    const mixed = tf.layers.concatenate({ name: 'mixed' }).apply([relu, rowsSoftmax]) as tf.SymbolicTensor;
    const sig = tf.layers.activation({ activation: 'sigmoid', name: 'sig' }).apply(mixed) as tf.SymbolicTensor;
    const soft = tf.layers.activation({ activation: 'softmax', name: 'soft' }).apply(sig) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: soft });
    await expectMatch(await saved(model, 6), [2, 6, 5, 3], 7, 'merge + activations');
  });

  test('Flatten keeps the NHWC element order for the Dense after it; Dropout; Dense activations', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [5, 4, 3], filters: 3, kernelSize: 2, name: 'c' }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ units: 7, activation: 'relu', name: 'd1' }),
        tf.layers.dropout({ rate: 0.5, name: 'drop' }),
        tf.layers.dense({ units: 4, activation: 'linear', useBias: false, name: 'd2' }),
        tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }),
      ],
    });
    const converted = await expectMatch(await saved(model, 7), [3, 5, 4, 3], 8, 'flatten + dense');
    assert.equal(converted.facts.outputs[0]?.name, 'probs');
  });

  test('Reshape to and from rank 4, Dense on a rank-4 tensor, activation-free layers', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [12], units: 24, activation: 'relu6', name: 'd' }),
        tf.layers.reshape({ targetShape: [2, 3, 4], name: 'to_image' }),
        tf.layers.conv2d({ filters: 5, kernelSize: 2, padding: 'same', name: 'c' }),
        tf.layers.dense({ units: 3, activation: 'sigmoid', name: 'pixel_dense' }),
        tf.layers.reshape({ targetShape: [-1, 3], name: 'to_rows' }),
      ],
    });
    await expectMatch(await saved(model, 8), [2, 12], 9, 'reshape');
  });

  test('uint8- and uint16-quantised weights dequantise as TF.js does', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [7, 7, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'c' }),
        tf.layers.batchNormalization({ name: 'bn' }),
        tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu', name: 'dw' }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ units: 3, name: 'logits' }),
      ],
    });
    const artifacts = await saved(model, 9);
    for (const dtype of ['uint8', 'uint16'] as const) {
      const quantized = quantizeArtifacts(artifacts, dtype);
      assert.equal(quantized.weightData.byteLength * (dtype === 'uint8' ? 4 : 2), artifacts.weightData.byteLength);
      await expectMatch(quantized, [2, 7, 7, 3], 10, dtype);
    }
  });

  test('the logits option drops the final softmax', async () => {
    const model = tf.sequential({
      layers: [tf.layers.flatten({ inputShape: [2, 2, 2], name: 'flat' }), tf.layers.dense({ units: 4, activation: 'softmax', name: 'probs' })],
    });
    const artifacts = await saved(model, 10);
    const input = randomInput([3, 2, 2, 2], 11);
    const probs = await tfPredict(await loadArtifacts(artifacts), input, [3, 2, 2, 2]);
    const logits = (await runOnnx(convertLayersModelWithSidecar(artifacts.modelJson, artifacts.weightData, { logits: true }).onnx, input, [3, 2, 2, 2]))
      .probs as Float32Array;
    const softmax = new Float32Array(logits.length);
    for (let r = 0; r < 3; r++) {
      const row = logits.subarray(r * 4, r * 4 + 4);
      const max = Math.max(...row);
      const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
      row.forEach((v, i) => {
        softmax[r * 4 + i] = Math.exp(v - max) / sum;
      });
    }
    assertAllClose(softmax, probs, ATOL, 'softmax(logits)');
    assert.ok(Math.abs(logits.reduce((s, v) => s + v, 0) - 3) > 1e-3, 'the output is no longer rows of probabilities');
  });
});
