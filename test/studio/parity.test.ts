/**
 * Browser parity (issue #21): every gradient method of the registry, run in the studio's core
 * worker on onnxruntime-web (wasm) in Debian's Chromium, matches the same call in Node on
 * onnxruntime-node, on two of the shared oracle's models (tiny_cnn: ReLU + MaxPool;
 * small_mobilenet: ReLU6 = Clip, depthwise convolutions, residuals).
 *
 * Tolerance: max |browser − node| ≤ 1e-4 × max |node| for every method (relative to the map's own
 * scale, since raw gradient maps range from 1e-4 to 1e2), and the explained classes are equal.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { camLayers, defaultCamLayer } from '../../src/attribution/layers.js';
import { methodList } from '../../src/attribution/methods.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { loadImageTensor } from '../../src/io/image.js';
import { createModel } from '../../src/models/architectures.js';
import { launchChromium } from '../helpers/chromium.js';
import { hasOracle, oracle, oracleDir, oracleTensor } from '../helpers/oracle.js';
import { attributeInPage, cancelInPage, decodeImageInPage, listLayersInPage, loadModelInPage, openStudio, type StudioSession } from './studio-site.js';

const MODELS = ['tiny_cnn', 'small_mobilenet'] as const;
/**
 * One tolerance for every method. Meaningful perturbation comes closest to it, and why: its mask
 * is optimised with Adam, whose first step lr · g / (|g| + ε) has slope lr/ε (ε = 1e-8) where a
 * cell's gradient |g| is near ε. On small_mobilenet one such cell (745 of 28×28: its first step
 * moved θ by 0.496·lr, so |g| ≈ ε) moves by 0.496 vs 0.494 lr between the engines: a float32
 * gradient difference of about 1e-10 there. Measured: 7.4e-5, 7.0e-5 and 6.1e-5 of the map's scale
 * after 1, 2 and 5 steps (it does not compound); tiny_cnn 1.7e-7 to 5.8e-7. See docs/studio.md.
 */
const TOLERANCE = 1e-4;
/** Options per method where the defaults would be slow or random. */
const OPTIONS: Record<string, Record<string, unknown>> = {
  'integrated-gradients': { steps: 8 },
  smoothgrad: { samples: 4, stdev: 0.1, seed: 3 },
  'smoothgrad-sq': { samples: 4, stdev: 0.1, seed: 3 },
  vargrad: { samples: 4, stdev: 0.1, seed: 3 },
  'meaningful-perturbation': { steps: 2 },
};

const gradientMethods = methodList().filter((m) => m.needs.gradients);

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i] as number));
  return m;
}

let studio: StudioSession;
let work: string;
before(async () => {
  if (!hasOracle()) return;
  work = await mkdtemp(join(tmpdir(), 'lucerna-parity-'));
  // A `lucerna model create` model: its logits output declares no shape (rank unknown).
  writeFileSync(join(work, 'created.onnx'), createModel('small-cnn', { classes: 3, input: [3, 32, 32], seed: 0 }));
  const files = {
    ...Object.fromEntries(MODELS.map((m) => [`/${m}.onnx`, join(oracleDir, m, 'model.onnx')])),
    '/created.onnx': join(work, 'created.onnx'),
  };
  // One wasm thread: parity needs no threads, and spinning threads only slow a shared machine.
  studio = await openStudio({ files, isolated: false, webgpuEngine: true });
});
after(async () => {
  await studio?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('browser parity: gradient methods in Chromium (onnxruntime-web) equal Node (onnxruntime-node)', { skip: !hasOracle() && 'no shared oracle' }, () => {
  it('the page runs on wasm where Chromium gives no WebGPU adapter (the fallback), and says why', async () => {
    assert.equal(studio.info.backend, 'wasm');
    assert.match(studio.info.backendReason, /no WebGPU/);
    const gpu = await studio.page.evaluate(async () => {
      const g = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
      return g ? ((await g.requestAdapter()) ? 'adapter' : 'no adapter') : 'no navigator.gpu';
    });
    assert.notEqual(gpu, 'adapter', 'this Chromium has a WebGPU adapter: the fallback is not what ran');
    assert.match((await studio.page.locator('#engine').textContent()) ?? '', /engine: onnxruntime-web, wasm, 1 thread\(s\) \(.*no WebGPU/);
  });

  it('the page runs the registry: every gradient method is offered', () => {
    const offered = studio.info.methods.filter((m) => m.needs.gradients).map((m) => m.name);
    assert.deepEqual(
      offered,
      gradientMethods.map((m) => m.name),
    );
    assert.ok(offered.length >= 15, `${offered.length} gradient methods`);
  });

  for (const name of MODELS) {
    it(`${name}: ${gradientMethods.length} gradient methods match to ${TOLERANCE} of the map scale`, async () => {
      const c = oracle().cases.find((k) => k.id === `${name}/blobs`)!;
      const x = oracleTensor(c.input_file, c.input_shape);
      const model = await Model.load(readFileSync(join(oracleDir, name, 'model.onnx')), { runtime: nodeRuntime, name });
      await loadModelInPage(studio.page, `/${name}.onnx`);
      const report: string[] = [];
      try {
        for (const method of gradientMethods) {
          const options = OPTIONS[method.name] ?? {};
          // The two engines run side by side: the browser's work is in its own processes.
          const [node, web] = await Promise.all([method.attribute(model, x, options), attributeInPage(studio.page, method.name, x, options)]);
          assert.deepEqual(web.shape, node.attribution.shape, `${method.name}: shape`);
          assert.deepEqual(web.targets, [...node.targets], `${method.name}: target`);
          const scale = maxAbs(node.attribution.data);
          assert.ok(scale > 0, `${method.name}: the Node map is all zeros, so the comparison would prove nothing`);
          let diff = 0;
          for (let i = 0; i < web.values.length; i++) diff = Math.max(diff, Math.abs((web.values[i] as number) - (node.attribution.data[i] as number)));
          report.push(`${method.name} ${(diff / scale).toExponential(1)}`);
          assert.ok(diff <= TOLERANCE * scale, `${method.name}: max |browser − node| = ${diff.toExponential(2)}, map scale ${scale.toExponential(2)}`);
        }
      } finally {
        await model.dispose();
      }
      console.error(`# ${name}: relative max diff ${report.join(', ')}`);
    });
  }
});

describe('models whose outputs declare no shape', { skip: !hasOracle() && 'no shared oracle' }, () => {
  it('grad-cam on a `model create small-cnn` model loads in the page and matches Node', async () => {
    const bytes = readFileSync(join(work, 'created.onnx'));
    await using model = await Model.load(bytes, { runtime: nodeRuntime, name: 'created' });
    const x = { data: Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.37)), shape: [1, 3, 32, 32] };
    const method = gradientMethods.find((m) => m.name === 'grad-cam')!;
    await loadModelInPage(studio.page, '/created.onnx');
    const [node, web] = await Promise.all([method.attribute(model, x, {}), attributeInPage(studio.page, 'grad-cam', x, {})]);
    assert.deepEqual(web.shape, node.attribution.shape);
    const scale = maxAbs(node.attribution.data);
    assert.ok(scale > 0, 'the Node map is all zeros');
    let diff = 0;
    for (let i = 0; i < web.values.length; i++) diff = Math.max(diff, Math.abs((web.values[i] as number) - (node.attribution.data[i] as number)));
    assert.ok(diff <= TOLERANCE * scale, `max |browser − node| = ${diff.toExponential(2)}, map scale ${scale.toExponential(2)}`);
  });
});

describe('the core worker: layers, images, progress and cancel', { skip: !hasOracle() && 'no shared oracle' }, () => {
  it('lists the layers Node lists, with the default CAM layer marked', async () => {
    await loadModelInPage(studio.page, '/tiny_cnn.onnx');
    await using model = await Model.load(readFileSync(join(oracleDir, 'tiny_cnn', 'model.onnx')), { runtime: nodeRuntime });
    const expected = (await camLayers(model)).map((l) => ({ name: l.name, shape: [...l.shape], isDefault: l.name === '/relu2/Relu_output_0' }));
    assert.equal(await defaultCamLayer(model), '/relu2/Relu_output_0');
    assert.deepEqual(await listLayersInPage(studio.page), expected);
    assert.ok(expected.length >= 4);
  });

  it('decodes a PNG with transparency into the tensor Node makes of it', async () => {
    const rgba = new Uint8Array(32 * 32 * 4);
    for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 97 + 13) % 256;
    const png = new Uint8Array(
      await sharp(rgba, { raw: { width: 32, height: 32, channels: 4 } })
        .png()
        .toBuffer(),
    );
    await loadModelInPage(studio.page, '/tiny_cnn.onnx');
    const node = await loadImageTensor(png, { inputDims: [1, 3, 32, 32] });
    const web = await decodeImageInPage(studio.page, png);
    assert.deepEqual(web.shape, node.tensor.shape);
    let diff = 0;
    for (let i = 0; i < web.values.length; i++) diff = Math.max(diff, Math.abs((web.values[i] as number) - (node.tensor.data[i] as number)));
    // One 8-bit step of ImageNet normalisation is 1/255/0.225 ≈ 0.0174: allow one step of alpha rounding.
    assert.ok(diff <= 0.018, `max |browser − node| = ${diff}`);
  });

  it('a long integrated-gradients run stops at its first progress report, and the worker serves the next call', async () => {
    const c = oracle().cases.find((k) => k.id === 'tiny_cnn/blobs')!;
    const x = oracleTensor(c.input_file, c.input_shape);
    await loadModelInPage(studio.page, '/tiny_cnn.onnx');
    const outcome = await cancelInPage(studio.page, 'integrated-gradients', x, { steps: 4096, batchSize: 8 });
    assert.ok(outcome.progress.length >= 1, `no progress was reported: ${JSON.stringify(outcome)}`);
    const [done, total] = outcome.progress[0]!;
    assert.ok(done > 0 && done < total, `first progress ${done}/${total}`);
    assert.equal(outcome.error?.name, 'CoreError');
    assert.equal(outcome.error?.code, 'ABORTED');
    const after = await attributeInPage(studio.page, 'saliency', x, {});
    assert.deepEqual(after.targets, [c.target]);
  });
});

describe('the minimal page: model and image from disk, a method, a heatmap', { skip: !hasOracle() && 'no shared oracle' }, () => {
  it('opens tiny_cnn and a PNG through the file inputs, runs grad-cam and draws its 16×16 map', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lucerna-page-'));
    try {
      const png = join(dir, 'image.png');
      const rgb = new Uint8Array(40 * 48 * 3).map((_, i) => (i * 31) % 256);
      await sharp(rgb, { raw: { width: 40, height: 48, channels: 3 } })
        .png()
        .toFile(png);
      const page = studio.page;
      const status = page.locator('lucerna-attribute-page [role=status]');
      await page.locator('lucerna-attribute-page #model').setInputFiles(join(oracleDir, 'tiny_cnn', 'model.onnx'));
      await status.filter({ hasText: 'Loaded' }).waitFor();
      await page.locator('lucerna-attribute-page #image').setInputFiles(png);
      await status.filter({ hasText: 'ready [1, 3, 32, 32]' }).waitFor();
      await page.locator('lucerna-attribute-page #method').selectOption('grad-cam');
      await page.locator('lucerna-attribute-page #run').click();
      await status.filter({ hasText: 'grad-cam: class' }).waitFor();
      const size = await page.locator('lucerna-attribute-page #heatmap').evaluate((c) => [(c as { width: number }).width, (c as { height: number }).height]);
      assert.deepEqual(size, [16, 16]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** The page's core as these WebGPU checks use it. */
type GpuPage = {
  lucerna: {
    core: {
      hello(): Promise<{ backend: string; backendReason: string; sessionsOnCpu?: number }>;
      predict(x: { data: Float32Array; shape: number[] }): Promise<Record<string, { data: Float32Array }>>;
    };
  };
};

describe('WebGPU where the browser has an adapter (Chromium with SwiftShader’s software adapter)', { skip: !hasOracle() && 'no shared oracle' }, () => {
  it('the worker chooses WebGPU and runs the model on it with Node’s numbers', async () => {
    // The same served build, with the engine LUCERNA_STUDIO_WEBGPU=1 adds, in a browser that has an
    // adapter. A software adapter compiles every shader on the CPU (a small_mobilenet gradient takes a
    // minute here), so this runs tiny_cnn's forward pass; cpuFallback is tested in backend.test.ts.
    const browser = await launchChromium(['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan']);
    try {
      const page = await browser.newPage();
      await page.addInitScript('globalThis.__name = (f) => f');
      await page.goto(studio.site.url);
      const hello = () => page.evaluate(() => (globalThis as unknown as GpuPage).lucerna.core.hello());
      const info = await hello();
      assert.equal(info.backend, 'webgpu', info.backendReason);
      assert.match((await page.locator('#engine').textContent()) ?? '', /engine: onnxruntime-web, WebGPU \(a WebGPU adapter\)/);
      const c = oracle().cases.find((k) => k.id === 'tiny_cnn/blobs')!;
      const x = oracleTensor(c.input_file, c.input_shape);
      await using model = await Model.load(readFileSync(join(oracleDir, 'tiny_cnn', 'model.onnx')), { runtime: nodeRuntime });
      const node = Object.values(await model.run(x))[0]!.data;
      await loadModelInPage(page, '/tiny_cnn.onnx');
      const web = await page.evaluate(
        async ({ data, shape }) => {
          const core = (globalThis as unknown as GpuPage).lucerna.core;
          return Array.from(Object.values(await core.predict({ data: Float32Array.from(data), shape }))[0]!.data);
        },
        { data: Array.from(x.data), shape: [...x.shape] },
      );
      assert.equal(web.length, node.length);
      const scale = maxAbs(node);
      let diff = 0;
      for (let i = 0; i < web.length; i++) diff = Math.max(diff, Math.abs((web[i] as number) - (node[i] as number)));
      assert.ok(diff <= TOLERANCE * scale, `logits on WebGPU: max |browser − node| = ${diff.toExponential(2)}, scale ${scale.toExponential(2)}`);
      assert.equal((await hello()).sessionsOnCpu, 0, 'the forward pass ran on WebGPU, not moved to the CPU');
    } finally {
      await browser.close();
    }
  });
});
