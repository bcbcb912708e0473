/**
 * Image-only functions and commands on a model that does not take images (issue #12, defect 4):
 * one line saying what is needed and what the model takes, before any engine session is built,
 * instead of "size unknown" or a raw ONNX Runtime error.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openModel, pixelSettings } from '../../src/cli/model.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { setDefaultRuntime } from '../../src/engine/runtime.js';
import { isLucernaError } from '../../src/errors.js';
import { resolvePreprocessing } from '../../src/io/preprocess.js';
import { visualize } from '../../src/visualization/activation-maximization.js';
import { invert } from '../../src/visualization/inversion.js';
import { requireImageModel } from '../../src/visualization/model-input.js';
import { channel } from '../../src/visualization/objectives.js';
import { topPatches } from '../../src/visualization/top-patches.js';
import { edgeModelBytes, tabularModelBytes } from './models.js';

const takes = 'tab takes "features" of shape [N, 10] (rank 2)';
const unsupported = (needs: string) => (e: unknown) =>
  isLucernaError(e, 'UNSUPPORTED_MODEL') && e.message === `${needs} needs a model that takes images [N, C, H, W]; ${takes}`;

describe('image-only functions on a model without image input', () => {
  let model: Model;
  let dir: string;
  before(async () => {
    model = await Model.load(tabularModelBytes(), { runtime: nodeRuntime, name: 'tab' });
    dir = await mkdtemp(join(tmpdir(), 'lucerna-tab-'));
  });
  after(async () => {
    await model.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('visualize, invert and topPatches say what they need and what the model takes', async () => {
    await assert.rejects(visualize(model, channel('relu1', 0), { steps: 1, size: 8 }), unsupported('Activation maximisation'));
    const image = { data: new Float32Array(3 * 8 * 8), shape: [1, 3, 8, 8] };
    await assert.rejects(invert(model, image, 'relu1', { steps: 1 }), unsupported('Network inversion'));
    await assert.rejects(topPatches(model, [], { layer: 'relu1' }), unsupported('Top-activating patches'));
  });

  it('loading an image for such a model names its input shape, not a missing size', () => {
    assert.throws(
      () => resolvePreprocessing({}, ['N', 10]),
      (e: unknown) =>
        isLucernaError(e, 'UNSUPPORTED_MODEL') &&
        e.message === 'An image needs a model that takes images [N, C, H, W]; the model takes [N, 10] (rank 2)' &&
        e.hint === 'Pass a .npy tensor of shape [N, 10] instead of an image',
    );
  });

  it('the visualization commands refuse it when they load it', async () => {
    setDefaultRuntime(nodeRuntime);
    const path = join(dir, 'tab.onnx');
    await writeFile(path, tabularModelBytes());
    await using opened = await openModel(path);
    assert.throws(
      () => pixelSettings(opened, 'lucerna visualize'),
      (e: unknown) => isLucernaError(e, 'UNSUPPORTED_MODEL') && e.message.startsWith('lucerna visualize needs a model that takes images [N, C, H, W]; '),
    );
  });

  it('image models pass, in either layout, and a 5-channel input is refused', async () => {
    await using edge = await Model.load(edgeModelBytes(8), { runtime: nodeRuntime, name: 'edge' });
    requireImageModel(edge, undefined, 'x');
    requireImageModel(edge, { normalization: 'unit', layout: 'NCHW', channelOrder: 'RGB', channels: 3 }, 'x');
    const fake = (dims: (number | string)[]) => ({ name: 'm', input: { name: 'in', dims } }) as unknown as Model;
    requireImageModel(fake(['N', 224, 224, 3]), undefined, 'x');
    assert.throws(
      () => requireImageModel(fake(['N', 5, 8, 8]), undefined, 'x'),
      (e: unknown) => isLucernaError(e, 'UNSUPPORTED_MODEL') && /with 1 or 3 channels; m takes "in" of shape \[N, 5, 8, 8\] \(5 channels\)$/.test(e.message),
    );
  });
});
