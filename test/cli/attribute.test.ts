/**
 * `lucerna attribute` end to end: .npy in, .npy out, compared with Captum; PNG heatmaps; JSON; and
 * one-line errors for bad input, with no partial output left behind.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { npyToFloat32, parseNpy, serializeNpy } from '../../src/io/npy.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertOneLineError, lucerna } from '../helpers/cli.js';
import { assertClose } from '../helpers/compare.js';
import { caseInput, oracle, oracleDir, reference, sharedDir } from '../helpers/oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-attr-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const c = oracle().cases.find((k) => k.id === 'small_resnet/noise')!;
const model = join(oracleDir, c.onnx);
const layer = oracle().models[c.model]!.gradcam_layer.onnx_tensor;
const inputNpy = join(dir, 'input.npy');
writeFileSync(inputNpy, serializeNpy(caseInput(c)));

const readNpy = (path: string): Tensor => npyToFloat32(parseNpy(new Uint8Array(readFileSync(path))));

describe('lucerna attribute', () => {
  it('writes the raw saliency map as .npy, equal to Captum', async () => {
    const out = join(dir, 'saliency.npy');
    const run = await lucerna('attribute', model, '--input', inputNpy, '--method', 'saliency', '--out', out, '--target', String(c.target));
    assert.equal(run.code, 0, run.stderr);
    assertClose(readNpy(out), reference(c, 'saliency'), 1e-4, 'saliency');
  });

  it('integrated gradients with the trapezoid rule and --json', async () => {
    const out = join(dir, 'ig.npy');
    const run = await lucerna(
      'attribute',
      model,
      '--input',
      inputNpy,
      '--method',
      'integrated-gradients',
      '--out',
      out,
      '--target',
      String(c.target),
      '--steps',
      '32',
      '--integration',
      'riemann-trapezoid',
      '--batch-size',
      '7',
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.deepEqual(summary.targets, [c.target]);
    assert.ok(Math.abs(summary.scores[0] - c.f_input_target) < 1e-4);
    assert.equal(typeof summary.delta[0], 'number');
    assert.deepEqual(summary.outputs, [out]);
    assert.ok(summary.timings.totalMs > 0);
    assertClose(readNpy(out), reference(c, 'ig_riemann_trapezoid'), 1e-3, 'ig');
  });

  it('smoothgrad with --noise and --abs averages absolute gradients, as Captum', async () => {
    const m = oracle().models[c.model]!;
    const noise = join(dir, 'noise.npy');
    writeFileSync(
      noise,
      new Uint8Array(
        serializeNpy({ data: new Float32Array(readFileSync(join(oracleDir, m.smoothgrad_noise.file)).buffer.slice(0)), shape: m.smoothgrad_noise.shape }),
      ),
    );
    const out = join(dir, 'sg.npy');
    const run = await lucerna(
      'attribute',
      model,
      '--input',
      inputNpy,
      '--method',
      'smoothgrad',
      '--noise',
      noise,
      '--abs',
      '--out',
      out,
      '--target',
      String(c.target),
    );
    assert.equal(run.code, 0, run.stderr);
    assertClose(readNpy(out), reference(c, 'smoothgrad_abs'), 1e-3, 'smoothgrad abs');
  });

  it('grad-cam at layer resolution, and upsampled with --upsample --relu', async () => {
    const raw = join(dir, 'cam.npy');
    const up = join(dir, 'cam-up.npy');
    assert.equal((await lucerna('attribute', model, '--input', inputNpy, '--method', 'grad-cam', '--layer', layer, '--out', raw)).code, 0);
    assertClose(readNpy(raw), reference(c, 'layer_gradcam'), 1e-4, 'raw cam');
    const run = await lucerna('attribute', model, '--input', inputNpy, '--method', 'grad-cam', '--layer', layer, '--relu', '--upsample', '--out', up);
    assert.equal(run.code, 0, run.stderr);
    assertClose(readNpy(up), reference(c, 'layer_gradcam_relu_upsampled_bilinear'), 1e-4, 'upsampled cam');
  });

  it('writes a PNG heatmap from an image input', async () => {
    const out = join(dir, 'heat.png');
    const run = await lucerna('attribute', model, '--input', join(sharedDir, 'images/chelsea.png'), '--method', 'guided-backprop', '--out', out);
    assert.equal(run.code, 0, run.stderr);
    const png = readFileSync(out);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  });
});

describe('lucerna attribute: layer maps (defect 7)', () => {
  for (const method of ['score-cam', 'ablation-cam', 'grad-cam']) {
    it(`${method} honours --upsample and --relu: an input-sized, non-negative map`, async () => {
      const out = join(dir, `${method}-up.npy`);
      const run = await lucerna('attribute', model, '--input', inputNpy, '--method', method, '--layer', layer, '--upsample', '--relu', '--out', out);
      assert.equal(run.code, 0, run.stderr);
      const map = readNpy(out);
      const [, , h, w] = caseInput(c).shape;
      assert.deepEqual(map.shape, [1, 1, h, w]);
      assert.ok(map.data.every((v) => v >= 0));
    });
  }
});

describe('lucerna attribute: bad input', () => {
  const before = () => new Set(readdirSync(dir));
  const cases: [string, string[], RegExp][] = [
    ['unknown method', ['--method', 'saliancy'], /Unknown method "saliancy".*saliency/],
    ['unknown layer', ['--method', 'grad-cam', '--layer', '/layer3/relu2'], /No .*"\/layer3\/relu2".*layer3/],
    ['a non-4-D layer', ['--method', 'grad-cam', '--layer', 'logits'], /logits/],
    ['target out of range', ['--method', 'saliency', '--target', '10'], /Target 10 is out of range.*10 classes/],
    ['--steps 0', ['--method', 'integrated-gradients', '--steps', '0'], /--steps must be an integer from 1 to 100000, got "0"/],
    ['--steps 1e9', ['--method', 'integrated-gradients', '--steps', '1e9'], /--steps must be an integer from 1 to 100000, got "1e9"/],
    ['--masks 1e9', ['--method', 'rise', '--masks', '1e9'], /--masks must be an integer from 1 to 1000000/],
    ['an unreadable image', ['--method', 'saliency', '--input', join(sharedDir, 'oracle/README.md')], /Cannot decode/],
    ['a missing input', ['--method', 'saliency', '--input', join(dir, 'nope.png')], /Cannot find/],
    ['--batch-size 0', ['--method', 'saliency', '--batch-size', '0'], /--batch-size must be an integer ≥ 1/],
    ['--batch-size abc', ['--method', 'integrated-gradients', '--batch-size', 'abc'], /--batch-size must be an integer ≥ 1, got "abc"/],
    ['a bad output extension', ['--method', 'saliency', '--out', join(dir, 'x.txt')], /--out must end in .npy or .png/],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, async () => {
      const files = before();
      const base = ['attribute', model, '--input', inputNpy, '--out', join(dir, `bad-${name.replace(/\W+/g, '-')}.npy`)];
      const run = await lucerna(...base, ...args);
      assertOneLineError(run, run.code === 2 ? 2 : 1, pattern);
      assert.deepEqual(new Set(readdirSync(dir)), files, 'no file written');
    });
  }

  it('a shape mismatch between the .npy and the model names the expected shape', async () => {
    const wrong = join(dir, 'wrong.npy');
    writeFileSync(wrong, serializeNpy({ data: new Float32Array(3 * 32 * 32), shape: [1, 3, 32, 32] }));
    const run = await lucerna('attribute', model, '--input', wrong, '--method', 'saliency', '--out', join(dir, 'w.npy'));
    assertOneLineError(run, 1, /\[1, 3, 32, 32\].*expects \[N, 3, 64, 64\]/);
    assert.equal(existsSync(join(dir, 'w.npy')), false);
  });

  it('NaN in the input', async () => {
    const x = caseInput(c);
    const data = Float32Array.from(x.data);
    data[5] = Number.NaN;
    const nan = join(dir, 'nan.npy');
    writeFileSync(nan, serializeNpy({ data, shape: x.shape }));
    assertOneLineError(
      await lucerna('attribute', model, '--input', nan, '--method', 'saliency', '--out', join(dir, 'n.npy')),
      1,
      /NaN at index \[0, 0, 0, 5\]/,
    );
  });
});

describe('lucerna attribute on the bundled model', () => {
  it('reads the sidecar: image preprocessing and class labels', async () => {
    const { defaultModelPath } = await import('../../src/convert/nsfwjs.js');
    const { loadImageTensor } = await import('../../src/io/image.js');
    const { readSidecar } = await import('../../src/io/sidecar.js');
    const modelPath = await defaultModelPath();
    const image = join(sharedDir, 'images/coffee.png');
    const out = join(dir, 'bundled.npy');
    const run = await lucerna('attribute', modelPath, '--input', image, '--method', 'saliency', '--out', out, '--json');
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    const sidecar = await readSidecar(modelPath);
    assert.equal(summary.labels[0], sidecar?.labels?.[summary.targets[0]]);
    // The attribution was computed on the sidecar's preprocessing (224×224, stretch, [0,1]).
    const expected = await loadImageTensor(image, { ...sidecar?.preprocessing });
    const { loadModelFile } = await import('../../src/io/files.js');
    const { saliency } = await import('../../src/attribution/gradient/saliency.js');
    const { nodeRuntime } = await import('../../src/engine/node.js');
    await using model = await loadModelFile(modelPath, { runtime: nodeRuntime });
    const direct = await saliency.attribute(model, expected.tensor, { target: summary.targets[0] });
    assertClose(readNpy(out), direct.attribution, 1e-5, 'CLI vs library on the sidecar preprocessing');
  });
});
