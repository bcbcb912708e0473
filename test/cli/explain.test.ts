/**
 * `lucerna explain` end to end, as child processes:
 * - the README's main command (bundled model, bundled photo, default methods) writes a
 *   self-contained report that names the prediction and holds one map per method and target;
 * - headless Chromium (playwright-core) opens that report offline and every image loads;
 * - several images and targets, a TF.js model.json, --json and the overlay modes, on tiny models
 *   with small method parameters (fast);
 * - bad input is one line on stderr, a non-zero exit, and no report (or temporary file) left behind.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { displayPlane, explainWithMethod } from '../../src/cli/commands/explain-maps.js';
import { convergenceCheck, occlusionGeometry, recipeFor } from '../../src/cli/commands/explain-methods.js';
import { classLabels, outputKind, probabilities } from '../../src/cli/commands/explain-model.js';
import { parseExplainFlags } from '../../src/cli/commands/explain-options.js';
import { parseTargets } from '../../src/cli/targets.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { loadModelFile } from '../../src/io/files.js';
import { buildModel } from '../../src/onnx/builder.js';
import { externalReferences } from '../../src/render/report/self-contained.js';
import { launchChromium } from '../helpers/chromium.js';
import { assertOneLineError, type CliRun, lucerna, root } from '../helpers/cli.js';
import { rng, uniform } from '../helpers/gradcheck.js';
import { oracle, oracleDir } from '../helpers/oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-explain-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const DEFAULT_METHODS = ['grad-cam', 'guided-grad-cam', 'integrated-gradients', 'smoothgrad', 'occlusion', 'rise'];
const coffee = join(root, 'assets/images/coffee.png');
const astronaut = join(root, 'assets/images/astronaut.png');
const tinyCnn = join(oracleDir, 'tiny_cnn/model.onnx');
/** Small parameters, so a run on the tiny CNN takes about a second. */
const FAST = ['--steps', '4', '--samples', '2', '--masks', '16', '--window', '8', '--stride', '4', '--batch-size', '4'];

/** The main command of the README's quick start (`npm ci && <command>`), as argv. */
function readmeMainCommand(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const line = readme.split('\n').find((l) => /^npm ci && /.test(l));
  assert.ok(line, 'the README has a "npm ci && …" line');
  return line
    .replace(/^npm ci && /, '')
    .trim()
    .split(/\s+/);
}

function run(command: string, args: string[]): Promise<CliRun> {
  return new Promise((done) => {
    execFile(command, args, { cwd: root, env: { ...process.env, LUCERNA_FROM_SOURCE: '1' }, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** `src` and `href` values of every tag, and any URL with a scheme or protocol-relative `//`. */
function urlsIn(html: string): string[] {
  const attrs = [...html.matchAll(/\s(?:src|href)\s*=\s*"([^"]*)"/gi)].map((m) => m[1] as string);
  return attrs.filter((u) => /^(https?:|\/\/)/i.test(u) || !/^(data:|#)/i.test(u));
}

function mapImages(html: string): { method: string; target: number }[] {
  return [...html.matchAll(/<img [^>]*class="map" data-method="([^"]+)" data-target="(\d+)"/g)].map((m) => ({ method: m[1] as string, target: Number(m[2]) }));
}

describe('the README main command: npx lucerna explain', () => {
  const out = join(dir, 'main', 'report.html');
  let result: CliRun;
  let html = '';

  before(async () => {
    const [command, ...args] = readmeMainCommand();
    assert.deepEqual([command, ...args], ['npx', 'lucerna', 'explain']);
    result = await run(command as string, [...args, '--out', out]);
    if (result.code === 0) html = readFileSync(out, 'utf8');
  });

  it('prints the report path, the layer it chose and a one-line summary of the image', () => {
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines[0], `report: ${out}`);
    assert.equal(lines[1], 'layer: out_relu (default: the last 4-D activation before global pooling)');
    assert.match(lines[2] as string, /coffee\.png: Neutral 9\d\.\d% \(6 methods, [\d.]+ (s|ms)\)$/);
    assert.equal(lines.length, 3);
  });

  it('writes a self-contained report: no URL in src or href, no external fonts, stylesheets or scripts', () => {
    assert.ok(existsSync(out));
    assert.deepEqual(urlsIn(html), []);
    assert.doesNotMatch(html, /https?:\/\//i);
    assert.doesNotMatch(html, /@font-face|@import|<link|<script/i);
    assert.deepEqual(externalReferences(html), []);
    assert.deepEqual(readdirSync(join(dir, 'main')), ['report.html'], 'no temporary file left');
  });

  it('names the predicted class and holds one image per method and target', () => {
    assert.match(html, /→ Neutral 9\d\.\d%/);
    const maps = mapImages(html);
    assert.deepEqual(
      maps.map((m) => m.method),
      DEFAULT_METHODS,
    );
    assert.ok(
      maps.every((m) => m.target === 2),
      'the target is Neutral (class 2)',
    );
    assert.equal(html.match(/<img [^>]*class="input"/g)?.length, 1);
  });

  it('states every parameter, the times, the convergence delta and the model summary', () => {
    for (const text of [
      '<b>steps</b> 64',
      '<b>samples</b> 8',
      '<b>window</b> [3, 32, 32]',
      '<b>strides</b> [3, 16, 16]',
      '<b>masks</b> 500',
      'out_relu [1, 1280, 7, 7]',
    ]) {
      assert.ok(html.includes(text), text);
    }
    assert.match(html, /<b>integrated-gradients<\/b>.*?<td>Neutral -?\d/s);
    assert.ok(html.includes('2,568,363 in'), 'parameter count of the model summary');
    assert.ok(html.includes('dense_3 (logits)'));
  });

  it('opens in headless Chromium offline, and every image loads', async () => {
    assert.equal(result.code, 0, result.stderr);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      const fetched: string[] = [];
      page.on('request', (r) => {
        if (!/^(data:|file:)/.test(r.url())) fetched.push(r.url());
      });
      await page.goto(pathToFileURL(out).href, { waitUntil: 'load' });
      // Runs in the page; typed here without the DOM library.
      type PageImage = { complete: boolean; naturalWidth: number; naturalHeight: number; alt: string };
      const images = await page.evaluate(() => {
        const doc = (globalThis as unknown as { document: { images: ArrayLike<PageImage> } }).document;
        return Array.from(doc.images, (img) => ({ complete: img.complete, width: img.naturalWidth, height: img.naturalHeight, alt: img.alt }));
      });
      assert.equal(images.length, DEFAULT_METHODS.length + 1);
      for (const img of images) assert.ok(img.complete && img.width > 0 && img.height > 0, `image loaded: ${JSON.stringify(img)}`);
      assert.deepEqual(fetched, [], 'nothing fetched from the network');
      const shot = join(dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      assert.ok(statSync(shot).size > 10_000);
    } finally {
      await browser.close();
    }
  });
});

/** A Keras 2 model.json of a tiny CNN (16×16×3 → conv 4 → GAP → dense 3 softmax) and its weights. */
function writeTfjsModel(folder: string): string {
  mkdirSync(folder, { recursive: true });
  const layer = (name: string, className: string, config: object, inbound?: string) => ({
    name,
    class_name: className,
    config: { name, ...config },
    inbound_nodes: inbound ? [[[inbound, 0, 0, {}]]] : [],
  });
  const modelJson = {
    format: 'layers-model',
    modelTopology: {
      keras_version: '2.2.4',
      model_config: {
        class_name: 'Model',
        config: {
          name: 'tiny',
          layers: [
            layer('image', 'InputLayer', { batch_input_shape: [null, 16, 16, 3], dtype: 'float32' }),
            layer('conv', 'Conv2D', { filters: 4, kernel_size: [3, 3], strides: [1, 1], padding: 'same', activation: 'relu', use_bias: true }, 'image'),
            layer('pool', 'GlobalAveragePooling2D', {}, 'conv'),
            layer('scores', 'Dense', { units: 3, activation: 'softmax', use_bias: true }, 'pool'),
          ],
          input_layers: [['image', 0, 0]],
          output_layers: [['scores', 0, 0]],
        },
      },
    },
    weightsManifest: [
      {
        paths: ['weights.bin'],
        weights: [
          { name: 'conv/kernel', shape: [3, 3, 3, 4], dtype: 'float32' },
          { name: 'conv/bias', shape: [4], dtype: 'float32' },
          { name: 'scores/kernel', shape: [4, 3], dtype: 'float32' },
          { name: 'scores/bias', shape: [3], dtype: 'float32' },
        ],
      },
    ],
  };
  const weights = uniform(3 * 3 * 3 * 4 + 4 + 4 * 3 + 3, rng(7));
  writeFileSync(join(folder, 'model.json'), JSON.stringify(modelJson));
  writeFileSync(join(folder, 'weights.bin'), new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength));
  return join(folder, 'model.json');
}

describe('lucerna explain on small models', () => {
  it('explains two images for two targets with all six methods; --json prints the same data', async () => {
    const out = join(dir, 'tiny', 'report.html');
    const r = await lucerna('explain', tinyCnn, '--input', coffee, astronaut, '--target', 'argmax,3', '--out', out, '--json', ...FAST);
    assert.equal(r.code, 0, r.stderr);
    const data = JSON.parse(r.stdout);
    assert.equal(data.report, out);
    assert.equal(data.model.layer.name, oracle().models.tiny_cnn?.gradcam_layer.onnx_tensor);
    assert.equal(data.model.layer.chosen, 'default');
    assert.equal(data.model.source, 'onnx');
    assert.equal(data.images.length, 2);
    for (const image of data.images) {
      assert.equal(image.predictions.length, 5);
      assert.equal(image.targets[0].index, image.predictions[0].index, 'argmax is the top prediction');
      assert.ok(image.targets.some((t: { index: number }) => t.index === 3));
      assert.deepEqual(
        image.methods.map((m: { name: string }) => m.name),
        DEFAULT_METHODS,
      );
      for (const m of image.methods) {
        assert.equal(m.cells.length, image.targets.length);
        assert.ok(m.timeMs > 0);
        for (const c of m.cells) {
          assert.equal(c.image.png, undefined, 'no image data in the JSON');
          assert.ok(c.range.hi >= c.range.lo);
        }
      }
      const byName = Object.fromEntries(image.methods.map((m: { name: string }) => [m.name, m]));
      assert.equal(byName['integrated-gradients'].settings.steps, 4);
      assert.equal(typeof byName['integrated-gradients'].cells[0].delta, 'number');
      assert.equal(byName.smoothgrad.settings.samples, 2);
      assert.equal(byName.rise.settings.masks, 16);
      assert.deepEqual(byName.occlusion.settings.window, [3, 8, 8]);
      assert.deepEqual(byName.occlusion.settings.strides, [3, 4, 4]);
      assert.equal(byName['grad-cam'].display.sharedAcrossTargets, image.targets.length > 1);
      const probabilities = image.predictions.map((p: { probability: number }) => p.probability);
      assert.ok(
        probabilities.every((p: number, i: number) => i === 0 || p <= probabilities[i - 1]),
        'best first',
      );
    }
    const html = readFileSync(out, 'utf8');
    assert.equal(html.match(/<section class="image"/g)?.length, 2);
    const targets = data.images.map((im: { targets: unknown[] }) => im.targets.length);
    assert.equal(mapImages(html).length, DEFAULT_METHODS.length * (targets[0] + targets[1]));
    assert.deepEqual(urlsIn(html), []);
  });

  it('converts a TF.js model.json on the fly, explains its logits and shows softmax probabilities', async () => {
    const model = writeTfjsModel(join(dir, 'tfjs-model'));
    const out = join(dir, 'tfjs', 'report.html');
    const r = await lucerna(
      'explain',
      model,
      '--input',
      coffee,
      '--methods',
      'grad-cam,integrated-gradients',
      '--layer',
      'conv',
      '--top',
      '2',
      '--out',
      out,
      '--json',
      ...FAST,
    );
    assert.equal(r.code, 0, r.stderr);
    const data = JSON.parse(r.stdout);
    assert.equal(data.model.source, 'tfjs');
    assert.deepEqual(data.model.layer, { name: 'conv', shape: [1, 4, 16, 16], chosen: 'given' });
    assert.deepEqual(data.model.output, { name: 'scores', kind: 'logits' });
    assert.deepEqual(data.model.labels, ['class 0', 'class 1', 'class 2']);
    const [image] = data.images;
    assert.equal(image.predictions.length, 2);
    assert.equal(image.input.width, 16);
    const logits: number[] = [];
    for (const p of image.predictions) logits[p.index] = p.score;
    const top = image.predictions[0];
    const second = image.predictions[1];
    assert.ok(Math.abs(top.probability / second.probability - Math.exp(top.score - second.score)) < 1e-4, 'probabilities are the softmax of the logits');
  });

  it('draws masked, alpha-scaling and heatmap modes; signed maps show their positive part when masked', async () => {
    for (const mode of ['masked', 'alpha-scaling', 'heatmap']) {
      const out = join(dir, `mode-${mode}`, 'report.html');
      const r = await lucerna(
        'explain',
        tinyCnn,
        '--input',
        coffee,
        '--methods',
        'integrated-gradients,grad-cam',
        '--mode',
        mode,
        '--out',
        out,
        '--json',
        ...FAST,
      );
      assert.equal(r.code, 0, r.stderr);
      const [ig, cam] = JSON.parse(r.stdout).images[0].methods;
      assert.equal(ig.display.mode, mode);
      assert.equal(ig.display.sign, mode === 'heatmap' ? 'all' : 'positive');
      assert.equal(cam.display.sign, 'positive');
      if (mode === 'masked') assert.ok(ig.cells[0].mask.kept > 0 && ig.cells[0].mask.kept <= 0.2 + 1 / (32 * 32));
      assert.equal(mapImages(readFileSync(out, 'utf8')).length, 2);
    }
  });
});

describe('lucerna explain: bad input', { concurrency: 3 }, () => {
  const rank2 = join(dir, 'rank2.onnx');
  writeFileSync(
    rank2,
    buildModel({
      inputs: [{ name: 'x', dims: [1, 4] }],
      outputs: ['y'],
      build: (b) => b.op('MatMul', ['x', b.weight('w', uniform(8, rng(3)), [4, 2])], {}, { outputs: ['y'] }),
    }),
  );
  const lstm = join(dir, 'lstm', 'model.json');
  mkdirSync(join(dir, 'lstm'), { recursive: true });
  writeFileSync(
    lstm,
    JSON.stringify({
      modelTopology: {
        keras_version: '2.2.4',
        model_config: {
          class_name: 'Model',
          config: {
            layers: [
              { name: 'seq', class_name: 'InputLayer', config: { batch_input_shape: [null, 5, 3], name: 'seq' }, inbound_nodes: [] },
              { name: 'memory', class_name: 'LSTM', config: { name: 'memory', units: 2 }, inbound_nodes: [[['seq', 0, 0, {}]]] },
            ],
            input_layers: [['seq', 0, 0]],
            output_layers: [['memory', 0, 0]],
          },
        },
      },
      weightsManifest: [],
    }),
  );
  const corrupt = join(dir, 'corrupt.png');
  writeFileSync(corrupt, 'this is not a PNG');
  const notAFolder = join(dir, 'plain-file');
  writeFileSync(notAFolder, 'not a folder');

  const cases: [string, string[], number, RegExp][] = [
    ['a missing image', ['--input', join(dir, 'missing.png')], 1, /Cannot find the image: .*missing\.png/],
    ['a missing second image', ['--input', coffee, join(dir, 'gone.jpg')], 1, /Cannot find the image: .*gone\.jpg/],
    ['an image that is not an image', [tinyCnn, '--input', coffee, corrupt], 1, /Cannot decode .*corrupt\.png as an image/],
    ['an unconvertible TF.js layer', [lstm, '--input', coffee], 1, /Cannot convert layer "memory" of class LSTM/],
    ['a model whose input is not an image', [rank2, '--input', coffee], 1, /takes input "x" of shape \[1, 4\] \(rank 2\), not an image \[N, C, H, W\]/],
    ['an unknown layer', [tinyCnn, '--input', coffee, '--layer', '/relu9/Relu_output_0'], 1, /No layer named "\/relu9\/Relu_output_0".*\/relu2\/Relu_output_0/],
    ['an unknown class label', [tinyCnn, '--input', coffee, '--target', 'kitten'], 1, /No class labelled "kitten"/],
    ['a target out of range', [tinyCnn, '--input', coffee, '--target', '10'], 1, /Target 10 is out of range: the model has 10 classes/],
    ['an unknown method', [tinyCnn, '--methods', 'grad-cam,grad-cm'], 2, /Unknown method "grad-cm".*closest: grad-cam/],
    ['an unknown mode', [tinyCnn, '--mode', 'sparkles'], 2, /Unknown --mode "sparkles"/],
  ];

  for (const [what, args, code, pattern] of cases) {
    it(`${what}: one line, exit ${code}, no report`, async () => {
      const folder = join(dir, `bad-${what.replace(/\W+/g, '-')}`);
      mkdirSync(folder);
      const r = await lucerna('explain', ...args, '--out', join(folder, 'report.html'), ...FAST);
      assertOneLineError(r, code, pattern);
      assert.deepEqual(readdirSync(folder), [], 'nothing left behind');
    });
  }

  it('an output directory that cannot be written: one line, exit 1, nothing written', async () => {
    const r = await lucerna('explain', tinyCnn, '--input', coffee, '--out', join(notAFolder, 'sub', 'report.html'), ...FAST);
    assertOneLineError(r, 1, /Cannot write .*plain-file\/sub\/report\.html: .*plain-file is a file, not a folder/);
    assert.equal(readFileSync(notAFolder, 'utf8'), 'not a folder');
  });

  it('--out naming a directory is a usage error', async () => {
    const r = await lucerna('explain', tinyCnn, '--input', coffee, '--out', dir, ...FAST);
    assertOneLineError(r, 2, /--out .* is a folder/);
  });
});

describe('explain: integrated gradients convergence (defect 8)', () => {
  it('uses Gauss–Legendre by default and does not flag a converged map', async () => {
    const r = await lucerna('explain', tinyCnn, '--input', coffee, '--methods', 'integrated-gradients', '--out', join(dir, 'ig-gl.html'), '--json');
    assert.equal(r.code, 0, r.stderr);
    const method = JSON.parse(r.stdout).images[0].methods[0];
    assert.equal(method.settings.integration, 'gauss-legendre');
    assert.equal(method.cells[0].convergence.flagged, false);
  });

  it('flags a delta above 5% of the logit, with what to change, in the report data', async () => {
    const args = ['--methods', 'integrated-gradients', '--steps', '2', '--integration', 'riemann-left'];
    const r = await lucerna('explain', tinyCnn, '--input', coffee, ...args, '--out', join(dir, 'ig-left.html'), '--json');
    assert.equal(r.code, 0, r.stderr);
    const cell = JSON.parse(r.stdout).images[0].methods[0].cells[0];
    assert.equal(cell.convergence.flagged, true);
    assert.ok(Math.abs(cell.convergence.relative - Math.abs(cell.delta) / Math.abs(cell.target.score)) < 1e-9);
    assert.match(cell.convergence.advice, /Raise --steps \(now 2\) or use --integration gauss-legendre/);
  });

  it('convergenceCheck: hand-computed cases', () => {
    const flagged = convergenceCheck('integrated-gradients', 2.0, 4.2, { steps: 64, integration: 'riemann-middle' });
    assert.equal(flagged.flagged, true);
    assert.ok(Math.abs(flagged.relative - 2 / 4.2) < 1e-12);
    assert.equal(flagged.advice, 'Raise --steps (now 64) or use --integration gauss-legendre');
    assert.deepEqual(convergenceCheck('integrated-gradients', -0.2, 4.2, { steps: 64 }), { delta: -0.2, score: 4.2, relative: 0.2 / 4.2, flagged: false });
    assert.equal(convergenceCheck('integrated-gradients', 0.25, -4, { steps: 64, integration: 'gauss-legendre' }).advice, 'Raise --steps (now 64)');
  });
});

describe('explain helpers', () => {
  it('parses targets, methods and parameters, with the documented defaults', () => {
    assert.deepEqual(parseTargets('argmax, 3,Drawing'), [{ kind: 'argmax' }, { kind: 'index', index: 3 }, { kind: 'label', label: 'Drawing' }]);
    assert.throws(() => parseTargets('-1'), /negative/);
    const o = parseExplainFlags({});
    assert.deepEqual(o.methods, DEFAULT_METHODS);
    assert.deepEqual(o.params, {
      steps: 64,
      integration: 'gauss-legendre',
      samples: 8,
      stdev: 0.15,
      window: undefined,
      stride: undefined,
      masks: 500,
      seed: 0,
      batchSize: 8,
    });
    assert.equal(o.mode, 'blended');
    assert.equal(o.top, 5);
    assert.ok(o.images[0]?.endsWith('assets/images/coffee.png') && existsSync(o.images[0]));
    assert.throws(() => parseExplainFlags({ methods: 'rise,rise' }), /names a method twice/);
    assert.throws(() => parseExplainFlags({ window: '4', stride: '8' }), /--stride 8 exceeds --window 4/);
    // The same upper bounds as the methods' option schema (attribute): a typo is not run for days.
    assert.throws(() => parseExplainFlags({ steps: '1e9' }), /--steps must be an integer from 1 to 100000, got "1e9"/);
    assert.throws(() => parseExplainFlags({ masks: '1e9' }), /--masks must be an integer from 1 to 1000000/);
  });

  it('help shows the occlusion window and stride as one number in pixels, as explain parses them', async () => {
    const { explainCommand } = await import('../../src/cli/commands/explain.js');
    const flags = explainCommand.options.map((o) => o.flags);
    assert.ok(flags.includes('--window <px>') && flags.includes('--stride <px>'), flags.join(' '));
    assert.ok(!flags.some((f) => f.includes('<c,h,w>')));
  });

  it('passes Ctrl-C on to each method (explain kept computing for a minute after it)', async () => {
    await using model = await loadModelFile(tinyCnn, { runtime: nodeRuntime });
    const shape = model.input.dims.map((d) => (typeof d === 'number' ? d : 1));
    const x = { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape };
    const [h, w] = [shape[2] as number, shape[3] as number];
    const image = { rgb: new Uint8Array(h * w * 3), width: w, height: h };
    const target = { index: 0, label: '0', score: 0, probability: 1 };
    const ctx = { inputShape: shape, outputKind: 'logits' as const, params: parseExplainFlags({}).params };
    for (const name of ['saliency', 'integrated-gradients', 'occlusion']) {
      await assert.rejects(explainWithMethod(model, x, image, [target], name, ctx, 'heatmap', AbortSignal.abort()), /cancelled/i, name);
    }
  });

  it('occlusion windows default to a seventh of the image side with half-window strides', () => {
    assert.deepEqual(occlusionGeometry(parseExplainFlags({}).params, 224, 224), { window: 32, stride: 16 });
    assert.deepEqual(occlusionGeometry(parseExplainFlags({ window: '100' }).params, 32, 32), { window: 32, stride: 16 });
    const r = recipeFor('occlusion', { inputShape: [1, 3, 224, 224], outputKind: 'logits', params: parseExplainFlags({}).params });
    assert.deepEqual(r.options.window, [3, 32, 32]);
    assert.equal(r.sign, 'all');
    const rise = recipeFor('rise', { inputShape: [1, 3, 224, 224], outputKind: 'logits', params: parseExplainFlags({}).params });
    assert.equal(rise.options.score, 'probability', 'RISE scores probabilities of a logits model');
    const riseProbs = recipeFor('rise', { inputShape: [1, 3, 224, 224], outputKind: 'probabilities', params: parseExplainFlags({}).params });
    assert.equal(riseProbs.options.score, 'logit', 'and reads a probability output as it is');
  });

  it('tells logits from probabilities and makes probabilities', () => {
    assert.equal(outputKind({ data: Float32Array.from([0.25, 0.75, 0.5, 0.5]), shape: [2, 2] }), 'probabilities');
    assert.equal(outputKind({ data: Float32Array.from([0.25, 0.7]), shape: [1, 2] }), 'logits');
    assert.equal(outputKind({ data: Float32Array.from([-0.5, 1.5]), shape: [1, 2] }), 'logits');
    const p = probabilities({ data: Float32Array.from([0, Math.log(3)]), shape: [1, 2] }, 'logits');
    assert.ok(Math.abs((p[0] as number) - 0.25) < 1e-6 && Math.abs((p[1] as number) - 0.75) < 1e-6);
    assert.deepEqual(classLabels(['a'], 2), ['class 0', 'class 1'], 'labels that do not fit are not used');
    assert.deepEqual(classLabels(['a', 'b'], 2), ['a', 'b']);
  });

  it('reduces channels (sum, abs-sum, mean) before upsampling, and states what it did', () => {
    const map = { data: Float32Array.from([1, -2, 3, 4, -5, 6, 7, 8]), shape: [1, 2, 2, 2] };
    assert.deepEqual([...displayPlane(map, 'sum', [2, 2]).plane.data], [-4, 4, 10, 12]);
    assert.deepEqual([...displayPlane(map, 'abs-sum', [2, 2]).plane.data], [6, 8, 10, 12]);
    assert.deepEqual([...displayPlane(map, 'mean', [2, 2]).plane.data], [-2, 2, 5, 6]);
    const up = displayPlane({ data: Float32Array.from([0, 4]), shape: [1, 1, 1, 2] }, 'sum', [2, 4]);
    assert.deepEqual(up.plane.shape, [1, 1, 2, 4]);
    assert.equal(up.upsampling, 'bilinear 1×2 → 2×4');
    assert.equal(up.reduction, 'none');
    assert.deepEqual(up.stats, { min: 0, max: 4, sum: 4 }, 'statistics of the map before upsampling');
  });
});
