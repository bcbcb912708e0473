/**
 * Model-parameter randomization (Adebayo et al. 2018): graph copies with redrawn weights that
 * leave the original untouched, and the paper's qualitative finding on the bundled trained model.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gradCam } from '../../src/attribution/cam/index.js';
import { guidedBackprop } from '../../src/attribution/gradient/guided-backprop.js';
import { guidedBackpropClip } from '../../src/attribution/gradient/guided-backprop-clip.js';
import { saliency } from '../../src/attribution/gradient/saliency.js';
import { defaultModelPath } from '../../src/convert/nsfwjs.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { LucernaError } from '../../src/errors.js';
import { loadModelFile } from '../../src/io/files.js';
import { loadImageTensor } from '../../src/io/image.js';
import { readSidecar } from '../../src/io/sidecar.js';
import { modelRandomization, RandomizedModels, spreadStages } from '../../src/metrics/randomization.js';
import { parametrisedLayers, randomizedCopy, standardDeviation } from '../../src/metrics/randomize-weights.js';
import { readFloats } from '../../src/onnx/tensors.js';
import { sharedDir } from '../helpers/oracle.js';
import { normalTensor, tinyConvNetBytes } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-rand-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('randomized copies of a graph', () => {
  it('lists parametrised layers top first and redraws only the chosen ones, leaving the original graph and file untouched', async () => {
    const file = join(dir, 'tiny.onnx');
    writeFileSync(file, tinyConvNetBytes());
    const before = sha(file);
    await using model = await loadModelFile(file, { runtime: nodeRuntime });
    const layers = parametrisedLayers(model.graph);
    assert.deepEqual(
      layers.map((l) => [l.node, l.opType, [...l.initializers]]),
      [
        ['dense', 'Gemm', ['dense.w', 'dense.b']],
        ['conv', 'Conv', ['conv.w', 'conv.b']],
      ],
    );
    const originals = new Map([...model.graph.initializers].map(([k, t]) => [k, Float32Array.from(readFloats(t))]));
    const copy = randomizedCopy(model.graph, layers.slice(0, 1), 5);
    for (const [name, values] of originals) assert.deepEqual(readFloats(model.graph.initializer(name)), values, `original ${name} unchanged`);
    assert.notDeepEqual(readFloats(copy.initializer('dense.w')), originals.get('dense.w'));
    assert.equal(copy.initializer('conv.w'), model.graph.initializer('conv.w'), 'unrandomized layers are shared, not copied');
    const drawn = readFloats(copy.initializer('dense.w'));
    const ratio = standardDeviation(drawn) / standardDeviation(originals.get('dense.w') as Float32Array);
    assert.ok(ratio > 0.7 && ratio < 1.3, `the redrawn weights keep the original scale (ratio ${ratio})`);
    // The same layer gets the same weights whatever else is randomized: cascading and independent agree.
    const both = randomizedCopy(model.graph, layers, 5);
    assert.deepEqual(readFloats(both.initializer('dense.w')), drawn);
    assert.notDeepEqual(readFloats(randomizedCopy(model.graph, layers.slice(0, 1), 6).initializer('dense.w')), drawn);
    // Running the randomized models does not touch the file either.
    const x = normalTensor([1, 1, 4, 4], 1);
    await modelRandomization(model, saliency, x, { target: 0 });
    assert.equal(sha(file), before);
  });

  it('runs cascading and independent stages, with an error for a stage out of range', async () => {
    await using model = await loadModelFile(join(dir, 'tiny.onnx'), { runtime: nodeRuntime });
    const x = normalTensor([2, 1, 4, 4], 2);
    const cascading = await modelRandomization(model, saliency, x, { target: 0, seed: 3 });
    assert.deepEqual(
      cascading.stages.map((s) => [s.stage, s.layer]),
      [
        [1, 'dense'],
        [2, 'conv'],
      ],
    );
    for (const s of cascading.stages) for (const v of [...s.spearman, ...s.spearmanAbs, ...s.ssim]) assert.ok(v >= -1 && v <= 1);
    assert.equal(cascading.stages[0]?.spearman.length, 2);
    const independent = await modelRandomization(model, saliency, x, { target: 0, seed: 3, mode: 'independent', stages: [1] });
    assert.deepEqual(
      independent.stages.map((s) => [s.stage, s.layer]),
      [[1, 'conv']],
    );
    await assert.rejects(
      modelRandomization(model, saliency, x, { stages: [3] }),
      (e: unknown) => e instanceof LucernaError && /stage 3 is out of range. .*use 1\.\.2/.test(e.oneLine()),
    );
    assert.deepEqual(spreadStages(55, 5), [1, 15, 28, 42, 55]);
    assert.deepEqual(spreadStages(3, 10, 'independent'), [0, 1, 2]);
  });
});

describe('sanity checks on the bundled trained MobileNetV2 (Adebayo et al. 2018, Fig. 2)', () => {
  it('saliency and Grad-CAM decorrelate by the middle of the network; guided backprop stays correlated', async () => {
    const path = await defaultModelPath({ logits: true });
    await using model = await loadModelFile(path, { runtime: nodeRuntime });
    const sidecar = await readSidecar(path);
    const x = (await loadImageTensor(join(sharedDir, 'images', 'astronaut.png'), { ...sidecar?.preprocessing, inputDims: model.input.dims })).tensor;
    await using models = new RandomizedModels(model, 'cascading', 0);
    const layers = models.layers.length;
    const middle = Math.ceil(layers / 2);
    assert.equal(layers, 55);
    const stages = [1, 7, middle];
    const run = async (method: typeof saliency) =>
      (await modelRandomization(model, method, x, { models, stages })).stages.map((s) => s.spearmanAbs[0] as number);
    const sal = await run(saliency);
    const cam = await run(gradCam);
    const guided = await run(guidedBackpropClip);
    const at = (curve: number[]) => curve[stages.indexOf(middle)] as number;
    assert.ok(at(sal) < 0.3, `saliency |map| Spearman at the middle: ${at(sal)}`);
    assert.ok(at(cam) < 0.3, `Grad-CAM |map| Spearman at the middle: ${at(cam)}`);
    for (const [k, g] of guided.entries()) {
      assert.ok(g > 0.8, `guided backprop stays highly correlated (stage ${stages[k]}: ${g})`);
      assert.ok(g > (sal[k] as number) + 0.3 && g > (cam[k] as number) + 0.3, `ordering at stage ${stages[k]}: ${g} vs ${sal[k]}, ${cam[k]}`);
    }
    // Captum's guided backprop leaves ReLU6 (Clip) alone, so on MobileNetV2 it is nearly the gradient and decorrelates too.
    const captumStyle = await run(guidedBackprop);
    assert.ok(at(captumStyle) < 0.5, `ReLU-only guided backprop at the middle: ${at(captumStyle)}`);
  });
});
