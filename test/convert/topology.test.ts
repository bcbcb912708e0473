/**
 * model.json spellings (tfjs-layers, Keras 2.2.4, Keras 3), Keras names in the ONNX graph,
 * unsupported layers, and ReLU settings TF.js itself ignores (checked against Keras' formula).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { convertLayersModel, convertLayersModelWithSidecar } from '../../src/convert/convert.js';
import { isLucernaError } from '../../src/errors.js';
import { graphFromBytes } from '../../src/onnx/builder.js';
import { type Artifacts, assertAllClose, loadArtifacts, randomInput, randomizeWeights, runOnnx, saveArtifacts, tf, tfPredict } from './tfjs-harness.js';

type Json = Record<string, unknown>;

async function residualModel(): Promise<Artifacts> {
  const input = tf.input({ shape: [6, 6, 3], name: 'image' });
  const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv' }).apply(input) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({ name: 'conv_bn' }).apply(conv) as tf.SymbolicTensor;
  const relu = tf.layers.reLU({ maxValue: 6, name: 'conv_relu' }).apply(bn) as tf.SymbolicTensor;
  const side = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'side' }).apply(input) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'sum' }).apply([relu, side]) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(sum) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'scores' }).apply(pooled) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out, name: 'residual' });
  randomizeWeights(model, 21);
  return saveArtifacts(model);
}

/** Rewrites a tfjs-layers functional topology in Keras 3 spelling, nested under model_config. */
function asKeras3(artifacts: Artifacts): Artifacts {
  const topology = structuredClone(artifacts.modelJson.modelTopology) as Json;
  const config = topology.config as Json;
  const tensor = (ref: unknown[]) => ({ class_name: '__keras_tensor__', config: { shape: [], dtype: 'float32', keras_history: ref.slice(0, 3) } });
  config.layers = (config.layers as Json[]).map((layer) => {
    const c = { ...(layer.config as Json) };
    if (layer.class_name === 'InputLayer') {
      c.batch_shape = c.batch_input_shape;
      delete c.batch_input_shape;
    }
    const calls = (layer.inbound_nodes as unknown[][][]).map((call) => ({
      args: call.length === 1 ? [tensor(call[0] as unknown[])] : [call.map((r) => tensor(r as unknown[]))],
      kwargs: {},
    }));
    return { module: 'keras.layers', class_name: layer.class_name, config: c, registered_name: null, name: layer.name, inbound_nodes: calls };
  });
  config.input_layers = (config.input_layers as unknown[][])[0];
  const keras3 = { keras_version: '3.3.3', backend: 'tensorflow', model_config: { class_name: 'Functional', config } };
  return { modelJson: { ...artifacts.modelJson, modelTopology: keras3 }, weightData: artifacts.weightData };
}

function reluModelJson(config: Json): Json {
  return {
    modelTopology: {
      keras_version: '2.2.4',
      model_config: {
        class_name: 'Model',
        config: {
          layers: [
            { name: 'x', class_name: 'InputLayer', config: { batch_input_shape: [null, 9], name: 'x' }, inbound_nodes: [] },
            { name: 'act', class_name: 'ReLU', config: { name: 'act', ...config }, inbound_nodes: [[['x', 0, 0, {}]]] },
          ],
          input_layers: [['x', 0, 0]],
          output_layers: [['act', 0, 0]],
        },
      },
    },
    weightsManifest: [],
  };
}

/** Keras 2 backend `relu(x, alpha, max_value, threshold)`. */
function kerasRelu(x: number, slope: number, maxValue: number | null, threshold: number): number {
  let y = threshold !== 0 ? (x > threshold ? x : 0) : Math.max(x, 0);
  if (maxValue !== null) y = Math.min(Math.max(y, 0), maxValue);
  return y - slope * Math.max(threshold - x, 0);
}

describe('convertLayersModel: model.json formats and names', () => {
  test('Keras 3 spelling (Functional, batch_shape, {args, kwargs} inbound nodes) converts like the tfjs-layers one', async () => {
    const artifacts = await residualModel();
    const input = randomInput([2, 6, 6, 3], 22);
    const reference = await tfPredict(await loadArtifacts(artifacts), input, [2, 6, 6, 3]);
    const keras3 = asKeras3(artifacts);
    const out = await runOnnx(convertLayersModel(keras3.modelJson, keras3.weightData), input, [2, 6, 6, 3]);
    assertAllClose(out.scores as Float32Array, reference, 1e-4, 'keras 3 spelling');
  });

  test('a Keras 2 Sequential whose config is a bare layer list gets an input named after its first layer', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2, name: 'only' })] });
    randomizeWeights(model, 23);
    const artifacts = await saveArtifacts(model);
    const topology = artifacts.modelJson.modelTopology as Json;
    const bare = {
      modelTopology: { keras_version: '2.1.6', model_config: { class_name: 'Sequential', config: (topology.config as Json).layers } },
      weightsManifest: artifacts.modelJson.weightsManifest,
    };
    const { onnx, facts } = convertLayersModelWithSidecar(bare, artifacts.weightData);
    assert.equal(facts.input.name, 'only_input');
    const input = randomInput([3, 4], 24);
    assertAllClose((await runOnnx(onnx, input, [3, 4])).only as Float32Array, await tfPredict(model, input, [3, 4]), 1e-5, 'bare sequential');
  });

  test('Keras layer names are ONNX node and tensor names; the output is named after the last layer', async () => {
    const artifacts = await residualModel();
    const { onnx, facts, sidecar } = convertLayersModelWithSidecar(artifacts.modelJson, artifacts.weightData, { labels: ['a', 'b', 'c'] });
    const graph = graphFromBytes(onnx);
    const tensors = new Set(graph.tensorNames());
    for (const name of ['image', 'conv_bn', 'conv_relu', 'side', 'sum', 'pool', 'scores']) assert.ok(tensors.has(name), `tensor ${name}`);
    assert.ok(!tensors.has('conv'), 'the conv output is the folded BN output conv_bn');
    const nodeNames = new Set(graph.nodes.map((n) => n.name));
    for (const name of ['conv', 'conv_relu', 'side', 'sum', 'pool', 'scores']) assert.ok(nodeNames.has(name), `node ${name}`);
    assert.deepEqual(
      graph.outputs.map((o) => o.name),
      ['scores'],
    );
    assert.deepEqual(graph.inputs[0]?.dims, ['N', 3, 6, 6]);
    assert.deepEqual(facts.sourceInputShape, [null, 6, 6, 3]);
    assert.deepEqual(sidecar, { preprocessing: { size: [6, 6], layout: 'NCHW', channels: 3 }, labels: ['a', 'b', 'c'] });
  });

  test('labels must match the class count of the output (issue #12, defect 3)', async () => {
    const artifacts = await residualModel();
    for (const labels of [
      ['a', 'b'],
      ['a', 'b', 'c', 'd'],
    ]) {
      assert.throws(
        () => convertLayersModelWithSidecar(artifacts.modelJson, artifacts.weightData, { labels }),
        (e) =>
          isLucernaError(e, 'BAD_OPTION') &&
          e.message === `${labels.length} labels given, but the model's output "scores" has 3 classes` &&
          e.hint === 'Give 3 labels, one per class in output order',
      );
    }
  });

  test('an unsupported layer names the layer, its class and the supported classes', async () => {
    const model = tf.sequential({ layers: [tf.layers.lstm({ inputShape: [5, 3], units: 2, name: 'memory' })] });
    const artifacts = await saveArtifacts(model);
    assert.throws(
      () => convertLayersModel(artifacts.modelJson, artifacts.weightData),
      (e) =>
        isLucernaError(e, 'UNSUPPORTED_MODEL') &&
        e.message === 'Cannot convert layer "memory" of class LSTM' &&
        /Supported classes: .*Conv2D.*DepthwiseConv2D/.test(e.hint ?? ''),
    );
    const madeUp = reluModelJson({});
    const layers = ((madeUp.modelTopology as Json).model_config as { config: { layers: Json[] } }).config.layers;
    (layers[1] as Json).class_name = 'FancyAttention';
    assert.throws(
      () => convertLayersModel(madeUp, new Uint8Array()),
      (e) => isLucernaError(e, 'UNSUPPORTED_MODEL') && e.oneLine().startsWith('Cannot convert layer "act" of class FancyAttention. Supported classes: '),
    );
  });

  test('an unsupported activation inside a conv is an UNSUPPORTED_MODEL error', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2, activation: 'softsign', name: 'soft' })] });
    const artifacts = await saveArtifacts(model);
    assert.throws(
      () => convertLayersModel(artifacts.modelJson, artifacts.weightData),
      (e) => isLucernaError(e, 'UNSUPPORTED_MODEL') && e.message.includes('"soft"') && e.message.includes('softsign'),
    );
  });

  test('ReLU max_value, negative_slope and threshold follow Keras', async () => {
    const input = Float32Array.from([-3, -1, -0.25, 0, 0.3, 0.5, 1, 4, 9]);
    const cases: [number, number | null, number][] = [
      [0, null, 0],
      [0, 6, 0],
      [0.2, null, 0],
      [0.1, 3, 0],
      [0, null, 0.4],
      [0.3, 2, 0.4],
      [0.5, null, -0.5],
    ];
    for (const [slope, maxValue, threshold] of cases) {
      const json = reluModelJson({ negative_slope: slope, max_value: maxValue, threshold });
      const out = (await runOnnx(convertLayersModel(json, new Uint8Array()), input, [1, 9])).act as Float32Array;
      const expected = Array.from(input, (x) => kerasRelu(x, slope, maxValue, threshold));
      assertAllClose(out, expected, 1e-6, `relu slope=${slope} max=${maxValue} threshold=${threshold}`);
    }
  });
});
