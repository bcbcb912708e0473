/**
 * Activation maximisation: the objective rises over 64 steps on the bundled model and on ResNet-18
 * (channel, neuron, layer and an algebra expression), a known edge detector gives its pattern back,
 * a batch optimises one channel per image, and runs are cancellable.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { defaultModelPath } from '../../src/convert/nsfwjs.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { isLucernaError } from '../../src/errors.js';
import type { PixelOptions } from '../../src/io/preprocess.js';
import { type VisualizeOptions, visualize } from '../../src/visualization/activation-maximization.js';
import { channel, sum } from '../../src/visualization/objectives.js';
import { EDGE_CHANNEL, gradientEnergies, HORIZONTAL_EDGE_CHANNEL, loadEdgeModel, loadSharedModel, SHALLOW_LAYER } from './models.js';

/** Means of consecutive windows of a curve. */
function windowMeans(curve: readonly number[], size: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + size <= curve.length; i += size) out.push(curve.slice(i, i + size).reduce((s, v) => s + v, 0) / size);
  return out;
}

/** The objective rises monotonically on average: every 16-step window beats the one before. */
function assertRises(curve: readonly number[], label: string): void {
  assert.equal(curve.length, 64);
  const means = windowMeans(curve, 16);
  const text = means.map((m) => m.toPrecision(4)).join(' → ');
  for (let i = 1; i < means.length; i++) assert.ok((means[i] as number) > (means[i - 1] as number), `${label}: window means ${text}`);
  assert.ok((means[3] as number) - (means[0] as number) > 0.05 * Math.abs(means[0] as number), `${label}: rises clearly, ${text}`);
}

const UNIT: PixelOptions = { normalization: 'unit', layout: 'NCHW', channelOrder: 'RGB', channels: 3 };

describe('the objective goes up over 64 steps', () => {
  const cases: { name: string; load: () => Promise<Model>; pixels?: PixelOptions; objectives: Record<string, string> }[] = [
    {
      name: 'bundled MobileNetV2 (nsfwjs)',
      load: async () => Model.load(new Uint8Array(readFileSync(await defaultModelPath({ logits: true }))), { runtime: nodeRuntime, name: 'nsfwjs' }),
      pixels: UNIT,
      objectives: {
        channel: 'block_3_expand_relu:5',
        neuron: 'neuron(block_5_project_BN, 7)',
        layer: 'layer(block_6_expand_relu)',
        algebra: 'block_3_expand_relu:5 + 0.5 * block_3_expand_relu:7 - block_3_expand_relu:9',
      },
    },
    {
      name: 'ResNet-18 (random weights)',
      load: () => loadSharedModel('resnet18.onnx'),
      objectives: {
        channel: '/layer2/layer2.0/relu/Relu_output_0:5',
        neuron: 'neuron(/layer2/layer2.1/conv2/Conv_output_0, 3)',
        layer: 'layer(/layer3/layer3.0/relu/Relu_output_0)',
        algebra: 'sum(/layer2/layer2.0/relu/Relu_output_0:5, 2 * /layer2/layer2.0/relu/Relu_output_0:9) - 0.5 * layer(/layer1/layer1.1/relu_1/Relu_output_0)',
      },
    },
  ];
  for (const c of cases) {
    describe(c.name, () => {
      let model: Model;
      before(async () => {
        model = await c.load();
      });
      after(() => model.dispose());
      for (const [kind, expression] of Object.entries(c.objectives)) {
        it(`${kind}: ${expression}`, async () => {
          const { curve } = await visualize(model, expression, { steps: 64, size: 64, pixels: c.pixels });
          assertRises(curve, expression);
        });
      }
    });
  }
});

describe('feature visualization on a known detector', () => {
  let model: Model;
  before(async () => {
    model = await loadEdgeModel(32);
  });
  after(() => model.dispose());
  const options: VisualizeOptions = { steps: 128, size: 48, parameterization: 'pixel', pixels: UNIT };

  it('the vertical-edge channel gives an image whose horizontal-gradient energy is ≥ 3× its vertical one', async () => {
    const { images, curve } = await visualize(model, `${SHALLOW_LAYER}:${EDGE_CHANNEL}`, options);
    const { horizontal, vertical } = gradientEnergies(images.data, images.shape);
    assert.ok(horizontal >= 3 * vertical, `horizontal ${horizontal.toFixed(1)} vs vertical ${vertical.toFixed(1)}`);
    assert.ok((curve.at(-1) as number) > 5 * (curve[0] as number));
    assert.deepEqual(images.shape, [1, 3, 48, 48]);
    assert.ok(images.data.every((v) => v > 0 && v < 1));
  });

  it('a batch gives each image its own channel: vertical edges in one, horizontal edges in the other', async () => {
    const objective = sum([channel(SHALLOW_LAYER, EDGE_CHANNEL, { batch: 0 }), channel(SHALLOW_LAYER, HORIZONTAL_EDGE_CHANNEL, { batch: 1 })]);
    const { images } = await visualize(model, objective, { ...options, batch: 2 });
    const half = images.data.length / 2;
    const first = gradientEnergies(images.data.subarray(0, half), [1, 3, 48, 48]);
    const second = gradientEnergies(images.data.subarray(half), [1, 3, 48, 48]);
    assert.ok(first.horizontal >= 3 * first.vertical, `image 0: ${first.horizontal.toFixed(1)} vs ${first.vertical.toFixed(1)}`);
    assert.ok(second.vertical >= 3 * second.horizontal, `image 1: ${second.vertical.toFixed(1)} vs ${second.horizontal.toFixed(1)}`);
  });

  it('is reproducible with a seed and cancellable', async () => {
    const a = await visualize(model, `${SHALLOW_LAYER}:3`, { ...options, steps: 8, seed: 4 });
    const b = await visualize(model, `${SHALLOW_LAYER}:3`, { ...options, steps: 8, seed: 4 });
    assert.deepEqual(a.curve, b.curve);
    const controller = new AbortController();
    await assert.rejects(
      visualize(model, `${SHALLOW_LAYER}:3`, { ...options, signal: controller.signal, onStep: (s) => s === 3 && controller.abort() }),
      (e: unknown) => isLucernaError(e, 'ABORTED'),
    );
  });
});
