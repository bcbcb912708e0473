/**
 * The `explain`, `evaluate`, decision-tree (`tree build --report`, `tree explain --out`) and `graph report` pages in headless Chromium (playwright-core) at 1,400 and 1,920 px
 * wide: no horizontal overflow of the page (scrollWidth ≤ innerWidth), no element that scrolls or clips sideways (a
 * grid, chart or table wider than its box), every image loaded, nothing fetched. Both pages are generated in-process from a small CNN
 * with a 224×224 input (the size of the bundled model, so tiles are as wide as in real reports).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { nodeRuntime } from '../../src/engine/node.js';
import { setDefaultRuntime } from '../../src/engine/runtime.js';
import { encodeRgbPng } from '../../src/io/image.js';
import { buildModel } from '../../src/onnx/builder.js';
import { normalFrom, seededRandom } from '../../src/tensor/random.js';
import { writeMarkerSet } from '../datasets/marker-set.js';
import { launchChromium } from '../helpers/chromium.js';
import { lucerna } from '../helpers/cli.js';
import { twoLayerModel } from '../helpers/graph-model.js';

const SIZE = 224;
const WIDTHS = [1400, 1920];
const dir = mkdtempSync(join(tmpdir(), 'lucerna-screens-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** [N, 3, 224, 224] → Conv 3×3 s4 → Relu (`features`, 56×56) → GlobalAveragePool → Gemm → 5 logits. */
function cnn224(): Uint8Array {
  const normal = normalFrom(seededRandom(3));
  const conv = Float32Array.from({ length: 6 * 3 * 9 }, () => normal() * 0.5);
  const dense = Float32Array.from({ length: 6 * 5 }, () => normal());
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', 3, SIZE, SIZE] }],
    outputs: ['logits'],
    build: (b) => {
      const c = b.op('Conv', ['x', b.weight('conv.w', conv, [6, 3, 3, 3])], { pads: [1, 1, 1, 1], strides: [4, 4] }, { name: 'conv' });
      const r = b.op('Relu', [c], {}, { outputs: ['features'] });
      const f = b.op('Flatten', [b.op('GlobalAveragePool', [r])], { axis: 1 });
      b.op('Gemm', [f, b.weight('dense.w', dense, [6, 5])], {}, { outputs: ['logits'], name: 'dense' });
    },
  });
}

/** A random image with a bright square, as PNG bytes. */
async function imagePng(seed: number): Promise<Uint8Array> {
  const next = seededRandom(seed);
  const rgb = Uint8Array.from({ length: SIZE * SIZE * 3 }, () => Math.floor(next() * 140));
  for (let y = 40; y < 120; y++) for (let x = 60 + seed; x < 150 + seed; x++) rgb.fill(240, (y * SIZE + x) * 3, (y * SIZE + x) * 3 + 3);
  return encodeRgbPng(rgb, SIZE, SIZE);
}

const model = join(dir, 'cnn224.onnx');
const images = join(dir, 'images');
const explainOut = join(dir, 'explain.html');
const evaluateOut = join(dir, 'evaluate.html');
const treeDir = join(dir, 'tree');
const treePathOut = join(dir, 'tree-path.html');
const graphOut = join(dir, 'graph.html');

before(async () => {
  setDefaultRuntime(nodeRuntime);
  writeFileSync(model, cnn224());
  mkdirSync(images);
  for (const seed of [1, 2, 3]) writeFileSync(join(images, `photo-${seed}.png`), await imagePng(seed * 10));
  // biome-ignore format: one flag and its value per line
  const explain = await lucerna('explain', model,
    '--input', join(images, 'photo-1.png'), join(images, 'photo-2.png'),
    '--target', 'argmax,3',
    '--out', explainOut,
    '--steps', '4',
    '--samples', '2',
    '--masks', '16',
    '--window', '32',
    '--stride', '32',
    '--batch-size', '8',
  );
  assert.equal(explain.code, 0, explain.stderr);
  // biome-ignore format: one flag and its value per line
  const evaluate = await lucerna('evaluate', model,
    '--input', images,
    '--methods', 'saliency,grad-cam,guided-grad-cam',
    '--metrics', 'deletion,insertion,randomization',
    '--out', evaluateOut,
    '--curve-steps', '8',
    '--stages', '2',
    '--batch-size', '8',
    '--json',
  );
  assert.equal(evaluate.code, 0, evaluate.stderr);
  // The decision-tree pages (#18): 12 images of one class, the tree and one image's path.
  mkdirSync(join(dir, 'classes', 'a'), { recursive: true });
  for (let i = 0; i < 12; i++) writeFileSync(join(dir, 'classes', 'a', `${i}.png`), await imagePng(i * 7));
  const tree = await lucerna('tree', 'build', model, '--dataset', join(dir, 'classes'), '--class', 'a', '--layer', 'features', '--out', treeDir, '--report');
  assert.equal(tree.code, 0, tree.stderr);
  const path = await lucerna('tree', 'explain', join(treeDir, 'tree.json'), model, '--input', join(images, 'photo-1.png'), '--out', treePathOut);
  assert.equal(path.code, 0, path.stderr);
  // The explanatory graph's view, from the two-layer marker model of the graph tests.
  const markers = join(dir, 'markers');
  writeFileSync(join(dir, 'two.onnx'), twoLayerModel());
  await writeMarkerSet(markers, { classes: { bird: { count: 8, redOffset: 0, tail: false } }, none: 0, seed: 5 });
  // biome-ignore format: one flag and its value per line
  const built = await lucerna('graph', 'build', join(dir, 'two.onnx'),
    '--dataset', markers,
    '--class', 'bird',
    '--layer', 'relu1,relu2',
    '--patterns', '2,2',
    '--parents', '2',
    '--out', join(dir, 'g'),
  );
  assert.equal(built.code, 0, built.stderr);
  const report = await lucerna('graph', 'report', join(dir, 'g', 'graph.json'), '--dataset', markers, '--out', graphOut);
  assert.equal(report.code, 0, report.stderr);
});

interface PageFacts {
  readonly scrollWidth: number;
  readonly innerWidth: number;
  readonly images: { complete: boolean; width: number; alt: string }[];
  readonly wideGrids: string[];
}

describe('report pages in Chromium at 1,400 and 1,920 px', () => {
  // One browser for the file (each page is its own context): a launch costs about 2 s of CPU.
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(() => browser?.close());

  it('graph report: a click on a node shows its detail and highlights its edges', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(pathToFileURL(graphOut).href, { waitUntil: 'load' });
    // The first node with an edge: click it (a #fragment link), then read the styles.
    const target = (await page.evaluate(`(() => {
        const edge = document.querySelector('path.edge');
        const id = edge && [...edge.classList].find((c) => c.startsWith('rel-')).slice(4);
        return id;
      })()`)) as string | null;
    assert.ok(target, 'the view draws at least one edge');
    const hidden = (await page.evaluate(`getComputedStyle(document.getElementById('d${target}')).display`)) as string;
    assert.equal(hidden, 'none');
    await page.click(`a[href="#d${target}"]`);
    const facts = (await page.evaluate(`(() => ({
        shown: getComputedStyle(document.getElementById('d${target}')).display,
        related: [...document.querySelectorAll('path.edge.rel-${target}')].map((e) => getComputedStyle(e).stroke),
        others: [...document.querySelectorAll('path.edge:not(.rel-${target})')].map((e) => getComputedStyle(e).opacity),
      }))()`)) as { shown: string; related: string[]; others: string[] };
    assert.equal(facts.shown, 'block');
    assert.ok(facts.related.length > 0 && facts.related.every((c) => c === 'rgb(228, 87, 46)'), JSON.stringify(facts.related));
    for (const o of facts.others) assert.ok(Number(o) < 0.5, `an unrelated edge stays dim (${o})`);
    await page.close();
  });

  it('lay out without horizontal overflow, and every image loads', async () => {
    for (const [name, file, minImages] of [
      ['explain', explainOut, 2 + 2 * 2 * 6],
      ['evaluate', evaluateOut, 3 * (1 + 3)],
      ['tree build --report', join(treeDir, 'tree.html'), 0],
      ['tree explain --out', treePathOut, 0],
      ['graph', graphOut, 0],
    ] as const) {
      for (const width of WIDTHS) {
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        const fetched: string[] = [];
        page.on('request', (r) => {
          if (!/^(data:|file:)/.test(r.url())) fetched.push(r.url());
        });
        await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
        // Runs in the page; typed here without the DOM library.
        const facts = (await page.evaluate(`(() => {
            const doc = document.scrollingElement;
            // Any box that scrolls (or clips) sideways: a grid or table wider than its box.
            const grids = [...document.querySelectorAll('body *')].filter(
              (e) => e instanceof HTMLElement && getComputedStyle(e).overflowX !== 'visible' && e.scrollWidth > e.clientWidth + 1,
            );
            return {
              scrollWidth: doc.scrollWidth,
              innerWidth: window.innerWidth,
              images: [...document.images].map((i) => ({ complete: i.complete, width: i.naturalWidth, alt: i.alt })),
              wideGrids: grids.map((e) => e.className + ' ' + e.scrollWidth + '>' + e.clientWidth),
            };
          })()`)) as PageFacts;
        const label = `${name} at ${width} px`;
        assert.ok(facts.scrollWidth <= facts.innerWidth, `${label}: page ${facts.scrollWidth} px wide in a ${facts.innerWidth} px window`);
        assert.deepEqual(facts.wideGrids, [], `${label}: a tile grid, chart box or table scrolls sideways`);
        assert.ok(facts.images.length >= minImages, `${label}: ${facts.images.length} images, expected at least ${minImages}`);
        for (const img of facts.images) assert.ok(img.complete && img.width > 0, `${label}: image not loaded: ${JSON.stringify(img)}`);
        assert.deepEqual(fetched, [], `${label}: nothing fetched`);
        const shot = join(dir, `${name}-${width}.png`);
        await page.screenshot({ path: shot });
        assert.ok(statSync(shot).size > 10_000, `${label}: screenshot written`);
        await page.close();
      }
    }
  });
});
