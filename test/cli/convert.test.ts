/**
 * `lucerna convert`: a TF.js LayersModel on disk (the nsfwjs MobileNetV2, written out as a standard
 * model.json + one .bin shard) becomes an ONNX model with its sidecar; bad input is one line and
 * leaves no file behind.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultModelPath, loadNsfwjsMobileNetV2 } from '../../src/convert/nsfwjs.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { normalFrom, seededRandom } from '../../src/tensor/random.js';
import { assertOneLineError, lucerna } from '../helpers/cli.js';
import { assertClose } from '../helpers/compare.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-convert-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let modelJson: { weightsManifest: { paths: string[] }[]; modelTopology: unknown };

before(async () => {
  const artifacts = await loadNsfwjsMobileNetV2();
  modelJson = JSON.parse(JSON.stringify(artifacts.modelJson));
  for (const group of modelJson.weightsManifest) group.paths = [];
  modelJson.weightsManifest[0]!.paths = ['weights.bin'];
  writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson));
  writeFileSync(join(dir, 'weights.bin'), artifacts.weightData);
});

describe('lucerna convert', () => {
  it('writes the ONNX model and its sidecar; the model computes what the bundled conversion does', async () => {
    const out = join(dir, 'nsfw.onnx');
    const run = await lucerna('convert', join(dir, 'model.json'), out, '--labels', 'Drawing,Hentai,Neutral,Porn,Sexy', '--json');
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.deepEqual(summary.input.dims, ['N', 3, 224, 224]);
    const sidecar = JSON.parse(readFileSync(join(dir, 'nsfw.lucerna.json'), 'utf8'));
    assert.deepEqual(sidecar.labels, ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
    assert.equal(sidecar.preprocessing.layout, 'NCHW');
    await using converted = await Model.load(new Uint8Array(readFileSync(out)), { runtime: nodeRuntime });
    await using bundled = await Model.load(new Uint8Array(readFileSync(await defaultModelPath())), { runtime: nodeRuntime });
    const normal = normalFrom(seededRandom(4));
    const x = { data: Float32Array.from({ length: 2 * 3 * 224 * 224 }, () => 0.5 + 0.2 * normal()), shape: [2, 3, 224, 224] };
    const [a, b] = [await converted.run(x), await bundled.run(x)];
    assertClose(a[converted.outputNames[0]!]!, b[bundled.outputNames[0]!]!, 1e-6, 'same outputs');
  });

  it('an unconvertible layer names the layer and its class, and writes nothing', async () => {
    const bad = JSON.parse(JSON.stringify(modelJson));
    const layers = bad.modelTopology.model_config?.config?.layers ?? bad.modelTopology.config?.layers;
    layers[3].class_name = 'LSTM';
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
    const before = readdirSync(dir).length;
    const run = await lucerna('convert', join(dir, 'bad.json'), join(dir, 'bad.onnx'));
    assertOneLineError(run, 1, new RegExp(`Cannot convert layer "${layers[3].config.name}" of class LSTM`));
    assert.equal(readdirSync(dir).length, before);
  });

  it('a missing weight shard and a wrong output extension are one-line errors', async () => {
    const noShard = JSON.parse(JSON.stringify(modelJson));
    noShard.weightsManifest[0].paths = ['missing.bin'];
    writeFileSync(join(dir, 'noshard.json'), JSON.stringify(noShard));
    assertOneLineError(await lucerna('convert', join(dir, 'noshard.json'), join(dir, 'x.onnx')), 1, /Cannot find a weight shard/);
    assertOneLineError(await lucerna('convert', join(dir, 'model.json'), join(dir, 'x.txt')), 2, /must end in \.onnx/);
    assert.equal(existsSync(join(dir, 'x.onnx')), false);
  });
});
