/**
 * The objective algebra: parsing (with error positions), values against activations computed
 * separately, and exact gradients through the whole step (parameterization, transforms, model,
 * objective) against finite differences.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Model } from '../../src/engine/model.js';
import { isLucernaError } from '../../src/errors.js';
import type { GraphBuilder } from '../../src/onnx/builder.js';
import { seededRandom } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { parseObjective } from '../../src/visualization/objective-parser.js';
import { channel, classLogit, direction, diversity, layer, neuron, type Objective, sum } from '../../src/visualization/objectives.js';
import { type ImageParameterization, imageParameterization } from '../../src/visualization/parameterizations.js';
import { compileImageProgram, trunkGraph } from '../../src/visualization/program.js';
import { standardTransforms } from '../../src/visualization/transforms.js';
import { DEEP_LAYER, loadEdgeModel, SHALLOW_LAYER } from './models.js';

const UNIT = { normalization: 'unit', layout: 'NCHW', channelOrder: 'RGB', channels: 3 } as const;

/** Parameters are the image itself. */
function identityImage(batch: number, size: number): ImageParameterization {
  const shape = [batch, 3, size, size] as const;
  return {
    description: 'identity',
    shape,
    imageShape: shape,
    initial: (u) => Float32Array.from({ length: batch * 3 * size * size }, () => u()),
    emit: (b: GraphBuilder, p) => b.op('Identity', [p]),
  };
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] as number;
  return s / values.length;
}

function plane(t: Tensor, n: number, c: number): Float32Array {
  const [, ch, h, w] = t.shape as [number, number, number, number];
  return t.data.subarray((n * ch + c) * h * w, (n * ch + c + 1) * h * w);
}

function rejectsWith(p: Promise<unknown>, code: string, text: RegExp): Promise<void> {
  return assert.rejects(p, (e: unknown) => {
    assert.ok(isLucernaError(e), String(e));
    assert.equal(e.code, code);
    assert.match(e.oneLine(), text);
    return true;
  });
}

describe('objective expressions', () => {
  it('parse the "layer:channel" shorthand, quoted names and names with slashes', () => {
    assert.equal(parseObjective('relu1:3').description, 'channel("relu1", 3)');
    assert.equal(parseObjective('/layer1/layer1.0/relu/Relu_output_0:12').description, 'channel("/layer1/layer1.0/relu/Relu_output_0", 12)');
    assert.equal(parseObjective('"conv 1-a":4').description, 'channel("conv 1-a", 4)');
    assert.equal(parseObjective('conv/Relu:0:5').description, 'channel("conv/Relu:0", 5)');
  });

  it('parse the algebra with precedence, unary minus, division and sum()', () => {
    assert.equal(
      parseObjective('relu1:0 + 0.5 * relu1:1 - layer(relu2) / 2').description,
      'channel("relu1", 0) + 0.5 * channel("relu1", 1) - 0.5 * layer("relu2")',
    );
    assert.equal(parseObjective('-(relu1:0 - relu1:1)').description, '-1 * (channel("relu1", 0) - channel("relu1", 1))');
    assert.equal(
      parseObjective('sum(relu1:0, 2 * neuron(relu2, 1, 3, 4), classLogit(2))').description,
      'channel("relu1", 0) + 2 * neuron("relu2", 1, 3, 4) + classLogit(2)',
    );
    assert.equal(parseObjective('channel(relu2, 3, 1) - 1e2 * diversity(relu2)').description, 'channel("relu2", 3, batch 1) - 100 * diversity("relu2")');
    assert.equal(parseObjective('direction(relu1, [1, -0.5, 2])').description, 'direction("relu1", [3 values])');
  });

  const failures: [string, number, RegExp][] = [
    ['channel(relu1, 3', 17, /expected "\)"/],
    ['relu1:x', 7, /expected a channel number after ":", got "x"/],
    ['relu1', 6, /expected ":channel"/],
    ['relu1:0 +', 10, /expected an objective.*ended/],
    ['relu1:0 * relu1:1', 9, /"\*" multiplies an objective by a number/],
    ['2 + relu1:0', 3, /needs objectives on both sides/],
    ['3 * 4', 1, /is a number, not an objective/],
    ['foo(relu1, 2)', 1, /unknown function "foo"/],
    ['channel(relu1)', 1, /channel\(\) takes 2 or 3 arguments, got 1/],
    ['channel(relu1, 2.5)', 16, /a channel must be a whole number/],
    ['relu1:0 relu1:1', 9, /expected an operator/],
    ['"relu1:3', 1, /no closing "/],
    ['', 1, /empty/],
  ];
  for (const [text, column, why] of failures) {
    it(`a bad expression says where: ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseObjective(text),
        (e: unknown) => {
          assert.ok(isLucernaError(e, 'BAD_OPTION'));
          assert.match(e.message, new RegExp(`column ${column}:`));
          assert.match(e.message, why);
          assert.match(e.hint ?? '', /⟨here⟩/);
          assert.equal(e.oneLine().includes('\n'), false);
          return true;
        },
      );
    });
  }

  it('the marker sits where parsing stopped', () => {
    assert.throws(
      () => parseObjective('relu1:0 + channel(relu1 3)'),
      (e: unknown) => isLucernaError(e) && (e.hint ?? '').endsWith('relu1:0 + channel(relu1 ⟨here⟩3)'),
    );
  });
});

describe('objective values and gradients', () => {
  let model: Model;
  const size = 16;
  before(async () => {
    model = await loadEdgeModel(size);
  });
  after(() => model.dispose());

  /** Activations of the edge model on `x` (the image is the input: unit normalisation). */
  async function activations(x: Tensor): Promise<Record<string, Tensor>> {
    await using trunk = Model.fromGraph(trunkGraph(model.graph, [SHALLOW_LAYER, DEEP_LAYER, 'logits'], x.shape), { runtime: model.runtime });
    return await trunk.run(x);
  }

  async function objectiveValue(objective: Objective, x: Tensor): Promise<number> {
    await using program = await compileImageProgram(model, { parameterization: identityImage(x.shape[0] as number, size), objective, pixels: UNIT });
    return (await program.step(x.data, Math.random)).value;
  }

  function image(batch: number, seed: number): Tensor {
    const u = seededRandom(seed);
    return { data: Float32Array.from({ length: batch * 3 * size * size }, () => u()), shape: [batch, 3, size, size] };
  }

  it('channel, neuron, layer, direction, classLogit and the algebra equal their definitions', async () => {
    const x = image(1, 3);
    const a = await activations(x);
    const r1 = a[SHALLOW_LAYER] as Tensor;
    const r2 = a[DEEP_LAYER] as Tensor;
    const logits = a.logits as Tensor;
    const v = Float32Array.from({ length: 16 }, (_, i) => (i % 3) - 1);
    let dir = 0;
    for (let c = 0; c < 16; c++) dir += (v[c] as number) * mean(plane(r1, 0, c));
    const w2 = r2.shape[3] as number;
    const cases: [Objective, number][] = [
      [channel(SHALLOW_LAYER, 3), mean(plane(r1, 0, 3))],
      [neuron(DEEP_LAYER, 2, { y: 1, x: 5 }), plane(r2, 0, 2)[1 * w2 + 5] as number],
      [neuron(DEEP_LAYER, 2), plane(r2, 0, 2)[4 * w2 + 4] as number],
      [layer(DEEP_LAYER), mean(r2.data.map((t) => t * t))],
      [direction(SHALLOW_LAYER, v), dir],
      [classLogit(1), logits.data[1] as number],
      [
        channel(SHALLOW_LAYER, 0).plus(layer(DEEP_LAYER).times(0.5)).minus(classLogit(2)),
        mean(plane(r1, 0, 0)) + 0.5 * mean(r2.data.map((t) => t * t)) - (logits.data[2] as number),
      ],
      [parseObjective(`${SHALLOW_LAYER}:5 - 2 * ${SHALLOW_LAYER}:6`), mean(plane(r1, 0, 5)) - 2 * mean(plane(r1, 0, 6))],
    ];
    for (const [objective, expected] of cases) {
      const got = await objectiveValue(objective, x);
      assert.ok(Math.abs(got - expected) <= 1e-4 * Math.max(1, Math.abs(expected)), `${objective.description}: ${got} vs ${expected}`);
    }
  });

  it('batch indices pick images, and diversity is the mean cosine similarity of Gram matrices', async () => {
    const x = image(3, 4);
    const r2 = (await activations(x))[DEEP_LAYER] as Tensor;
    const [n, c, h, w] = r2.shape as [number, number, number, number];
    const grams = Array.from({ length: n }, (_, i) => {
      const g = new Float64Array(c * c);
      for (let p = 0; p < c; p++)
        for (let q = 0; q < c; q++)
          for (let k = 0; k < h * w; k++) g[p * c + q] = (g[p * c + q] as number) + (plane(r2, i, p)[k] as number) * (plane(r2, i, q)[k] as number);
      const norm = Math.sqrt(g.reduce((s, t) => s + t * t, 0));
      return g.map((t) => t / norm);
    });
    let similarity = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        if (i !== j) similarity += (grams[i] as Float64Array).reduce((s, t, k) => s + t * ((grams[j] as Float64Array)[k] as number), 0);
    const got = await objectiveValue(diversity(DEEP_LAYER), x);
    assert.ok(Math.abs(got - similarity / n) < 1e-4, `diversity ${got} vs ${similarity / n}`);
    const picked = await objectiveValue(sum([channel(DEEP_LAYER, 1, { batch: 2 }), channel(DEEP_LAYER, 4, { batch: 0 })]), x);
    assert.ok(Math.abs(picked - (mean(plane(r2, 2, 1)) + mean(plane(r2, 0, 4)))) < 1e-5);
    const averaged = await objectiveValue(channel(DEEP_LAYER, 1), x);
    assert.ok(Math.abs(averaged - (mean(plane(r2, 0, 1)) + mean(plane(r2, 1, 1)) + mean(plane(r2, 2, 1))) / 3) < 1e-5);
  });

  it('the gradient through Fourier, decorrelation, the standard transforms, the model and a nonlinear objective matches finite differences', async () => {
    const parameterization = imageParameterization(2, [size, size], { spatial: 'fourier' });
    const objective = parseObjective(`layer(${DEEP_LAYER}) + ${SHALLOW_LAYER}:3 - 0.5 * diversity(${DEEP_LAYER})`);
    await using program = await compileImageProgram(model, { parameterization, objective, transforms: standardTransforms(size), pixels: UNIT });
    const fixed = () => 0.3; // the same transform at every call
    const u = seededRandom(9);
    const p = Float32Array.from({ length: parameterization.shape.reduce((s, d) => s * d, 1) }, () => (u() - 0.5) * 4);
    const { gradient } = await program.step(p, fixed);
    const probe = seededRandom(10);
    let checked = 0;
    for (let trial = 0; trial < 12; trial++) {
      const i = Math.floor(probe() * p.length);
      const eps = 0.05;
      const saved = p[i] as number;
      p[i] = saved + eps;
      const up = (await program.step(p, fixed)).value;
      p[i] = saved - eps;
      const down = (await program.step(p, fixed)).value;
      p[i] = saved;
      const numeric = (up - down) / (2 * eps);
      const analytic = gradient[i] as number;
      assert.ok(Math.abs(numeric - analytic) <= 0.05 * Math.abs(analytic) + 2e-4, `parameter ${i}: finite difference ${numeric}, compiled ${analytic}`);
      checked++;
    }
    assert.equal(checked, 12);
    assert.ok(
      gradient.some((g) => Math.abs(g) > 1e-3),
      'a gradient flows',
    );
  });

  it('an unknown layer names the closest ones; a bad channel names the range', async () => {
    const x = image(1, 5);
    await rejectsWith(objectiveValue(channel('relu3', 0), x), 'UNKNOWN_TENSOR', /No layer named "relu3".*Closest names: .*"relu1"/);
    await rejectsWith(
      objectiveValue(channel(SHALLOW_LAYER, 16), x),
      'BAD_OPTION',
      /Channel 16 is out of range: layer "relu1" has 16 channels\. Pick a channel from 0 to 15/,
    );
    await rejectsWith(objectiveValue(neuron(DEEP_LAYER, 0, { y: 9, x: 0 }), x), 'BAD_OPTION', /row of layer "relu2" 9 is out of range. Pick one from 0 to 7/);
    await rejectsWith(objectiveValue(classLogit(4), x), 'BAD_OPTION', /Class 4 is out of range/);
    await rejectsWith(objectiveValue(direction(SHALLOW_LAYER, [1, 2]), x), 'BAD_OPTION', /2 values but layer "relu1" has 16 channels/);
    await rejectsWith(objectiveValue(diversity(DEEP_LAYER), x), 'BAD_OPTION', /at least 2 images/);
    await rejectsWith(objectiveValue(channel('conv1.weight', 0), x), 'BAD_OPTION', /is a weight of the model/);
    await rejectsWith(objectiveValue(channel(DEEP_LAYER, 0, { batch: 1 }), x), 'BAD_OPTION', /batch index 1 is out of range/);
  });
});
