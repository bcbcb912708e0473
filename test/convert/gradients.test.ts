/**
 * A converted model is differentiable by Lucerna's compiler: input gradients and gradients at a
 * Keras-named layer match TF.js' own `tf.grad` (transposed NHWC → NCHW).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { convertLayersModel } from '../../src/convert/convert.js';
import { Model } from '../../src/node.js';
import { tensor } from '../../src/tensor/tensor.js';
import { assertAllClose, randomInput, randomizeWeights, saveArtifacts, tf, transpose4 } from './tfjs-harness.js';

describe('converted models under the gradient compiler', () => {
  test('input gradient of a class score matches tf.grad', async () => {
    const input = tf.input({ shape: [8, 8, 3], name: 'image' });
    const padded = tf.layers
      .zeroPadding2d({
        padding: [
          [0, 1],
          [0, 1],
        ],
        name: 'pad',
      })
      .apply(input) as tf.SymbolicTensor;
    const conv = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, name: 'conv' }).apply(padded) as tf.SymbolicTensor;
    const bn = tf.layers.batchNormalization({ name: 'conv_bn' }).apply(conv) as tf.SymbolicTensor;
    const relu = tf.layers.reLU({ maxValue: 6, name: 'conv_relu' }).apply(bn) as tf.SymbolicTensor;
    const dw = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu', name: 'dw' }).apply(relu) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'sum' }).apply([relu, dw]) as tf.SymbolicTensor;
    const pooled = tf.layers.averagePooling2d({ poolSize: 2, padding: 'same', name: 'pool' }).apply(sum) as tf.SymbolicTensor;
    const flat = tf.layers.flatten({ name: 'flat' }).apply(pooled) as tf.SymbolicTensor;
    const scores = tf.layers.dense({ units: 4, activation: 'softmax', name: 'scores' }).apply(flat) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: scores });
    randomizeWeights(model, 31);
    const artifacts = await saveArtifacts(model);

    const shape = [2, 8, 8, 3];
    const x = randomInput(shape, 32);
    const seed = Float32Array.from([0, 1, 0, 0, 0, 0, 0, 1]);
    const reference = tf.tidy(() => {
      const f = (t: tf.Tensor) => tf.sum(tf.mul(model.predict(t) as tf.Tensor, tf.tensor(seed, [2, 4])));
      return tf.grad(f)(tf.tensor(x, shape)).dataSync() as Float32Array;
    });

    await using lucerna = await Model.load(convertLayersModel(artifacts.modelJson, artifacts.weightData));
    const compiled = await lucerna.compile({ seeds: ['scores'] }, [2, 3, 8, 8]);
    const result = await compiled.run({ input: tensor(transpose4(x, shape, true), [2, 3, 8, 8]), seeds: { scores: tensor(seed, [2, 4]) } });
    const gradient = result.gradients.image;
    assert.ok(Math.max(...reference.map(Math.abs)) > 1e-3, 'the reference gradient is not trivial');
    assertAllClose(gradient?.data ?? [], transpose4(reference, shape, true), 1e-5, 'd score / d image');
  });
});
