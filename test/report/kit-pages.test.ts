/**
 * The report pages of train, dissect, stability, attack and bias, built from small synthetic data
 * with the report kit, in headless Chromium at 1,400 px: no horizontal overflow, no box that
 * scrolls sideways, every image loaded, nothing fetched, no script. The dissection page's category
 * filter and IoU sort (radio buttons and CSS only) are clicked and checked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import type { BiasRelation } from '../../src/diagnosis/bias/relations.js';
import { dissectionReportHtml } from '../../src/dissection/report.js';
import { countDetectors } from '../../src/dissection/score.js';
import { encodeRgbPng } from '../../src/io/image.js';
import { biasPage } from '../../src/render/report/bias.js';
import { stabilityReportHtml } from '../../src/render/report/stability.js';
import { trainingPage } from '../../src/render/report/training.js';
import { renderRobustnessHtml } from '../../src/robust/report-html.js';
import { launchChromium } from '../helpers/chromium.js';
import { unitRow } from '../helpers/dissect-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-kit-pages-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function png(size: number, seed: number): Promise<string> {
  const rgb = Uint8Array.from({ length: size * size * 3 }, (_, i) => (i * 37 + seed * 101) % 256);
  return `data:image/png;base64,${Buffer.from(await encodeRgbPng(rgb, size, size)).toString('base64')}`;
}

const CLASSES = ['bird', 'fish', 'quadruped-with-a-long-name', 'snake', 'none', 'insect', 'crab', 'frog', 'turtle', 'whale'];

const pages: Record<string, string> = {};

before(async () => {
  const steps = 900;
  pages.training = trainingPage({
    model: 'small-cnn.onnx',
    data: '/data/a/very/long/path/to/the/generated/parts/dataset/folder/with/many/levels',
    trainSamples: 800,
    valSamples: 200,
    valSource: 'index.csv split column',
    steps,
    totalSteps: steps,
    seconds: 42,
    interrupted: false,
    losses: Array.from({ length: steps }, (_, i) => 2 / (1 + i / 50)),
    accuracies: Array.from({ length: steps }, (_, i) => Math.min(1, i / steps + 0.1)),
    termLosses: { 'cross-entropy': Array.from({ length: steps }, (_, i) => 1.8 / (1 + i / 50)), 'filter Relu_3': Array(steps).fill(0.2) },
    epochs: Array.from({ length: 6 }, (_, e) => ({
      epoch: e,
      loss: 1 / (e + 1),
      accuracy: 0.5 + e / 14,
      terms: { 'cross-entropy': 0.9 / (e + 1), 'filter Relu_3': 0.1 },
      valLoss: 1.1 / (e + 1),
      valAccuracy: 0.45 + e / 14,
    })),
    confusion: CLASSES.map((_, t) => CLASSES.map((_, p) => (t === p ? 15 : (t + p) % 3))),
    classNames: CLASSES,
    settings: { optimizer: 'adam', lr: 0.001, batchSize: 16, schedule: { kind: 'cosine', warmupSteps: 100 }, freeze: ['features.0.*', 'features.1.*'] },
  });
  const thumb = await png(96, 1);
  const rows = [unitRow(3, 'color', 'red', 0.3), unitRow(1, 'part', 'head', 0.12), unitRow(2, 'color', 'blue', 0.05), unitRow(4, 'part', 'tail', 0.01)];
  const counts = countDetectors(rows, ['color', 'part'], 0.04);
  pages.dissection = await dissectionReportHtml(
    'm.onnx',
    [
      {
        layer: 'Relu_3',
        counts,
        rows,
        partInterpretability: 0.07,
        images: new Map(rows.map((r) => [r.unit, [r.unit === 1 ? { picture: thumb, mask: thumb } : thumb, thumb, thumb, thumb]])),
      },
    ],
    {
      where: 'object=bird',
    },
  );
  pages.stability = stabilityReportHtml({
    title: 'Relu_3',
    result: {
      instability: 0.12,
      nullFilters: 1,
      filters: Array.from({ length: 20 }, (_, f) => ({ filter: f, instability: f === 5 ? null : 0.05 + f / 100, images: 30 })),
    },
    images: Array.from({ length: 30 }, (_, i) => ({
      x: Array.from({ length: 20 }, (_, f) => 10 + ((i * 7 + f) % 40)),
      y: Array.from({ length: 20 }, (_, f) => 12 + ((i * 5 + f) % 30)),
      value: Array(20).fill(1),
      landmarks: new Map<string, readonly [number, number]>([
        ['eye', [20 + (i % 3), 15]],
        ['tail_tip', [50, 40 + (i % 4)]],
      ]),
    })),
    width: 64,
    height: 64,
    settings: { protocol: 'default', class: 'bird', model: 'trained.onnx' },
  });
  const picture = await png(64, 2);
  pages.robustness = renderRobustnessHtml({
    model: 'm.onnx',
    attack: 'pgd',
    settings: { norm: 'linf', steps: 10 },
    epsilons: [0.01, 0.02, 0.05, 0.1],
    rates: [0.1, 0.3, 0.7, 1],
    searchMax: 0.1,
    images: [0.02, 0.07, null].map((minimalEpsilon, i) => ({
      name: `photo-${i}.png`,
      label: '3 (cat)',
      adversarialLabel: '5 (dog)',
      minimalEpsilon,
      shownEpsilon: 0.05,
      differenceMax: 0.05,
      width: 64,
      height: 64,
      pictures: { original: picture, adversarial: picture, difference: picture, camBefore: picture, camAfter: picture },
    })),
  });
  const relation = (className: string, attribute: string, bias: number): BiasRelation => ({
    className,
    against: 'none',
    attribute,
    filters: [3, 17, 40],
    network: bias,
    groundTruth: 0,
    bias,
    flagged: Math.abs(bias) >= 0.3,
  });
  const relations = [relation('bird', 'background=stripes', 0.8), relation('fish', 'head_colour=red', 0.4), relation('bird', 'tail_present=1', 0.1)];
  const example = { name: 'parts_000001.png', className: 'bird', predicted: 'bird', cue: false, width: 64, height: 64, image: picture, cam: picture };
  pages.bias = biasPage({
    relations,
    accuracy: {
      'train (biased)': { images: 80, accuracy: 0.95 },
      'val (unbiased)': { images: 20, accuracy: 0.6 },
      'val none and bird, dorsal_fin_present=0: cue conflicts': { images: 11, accuracy: 0.9 },
    },
    examples: new Map([['bird>none:background=stripes', [example, { ...example, className: 'fish', cue: true }]]]),
    threshold: 0.3,
    settings: { layer: 'Relu_3', threshold: 0.3 },
  });
  for (const [name, html] of Object.entries(pages)) writeFileSync(join(dir, `${name}.html`), html);
});

interface PageFacts {
  readonly scrollWidth: number;
  readonly innerWidth: number;
  readonly images: { complete: boolean; width: number; alt: string }[];
  readonly wide: string[];
  readonly scripts: number;
  readonly clipped: string[];
}

const FACTS = `(() => {
  const wide = [...document.querySelectorAll('body *')].filter(
    (e) => e instanceof HTMLElement && getComputedStyle(e).overflowX !== 'visible' && e.scrollWidth > e.clientWidth + 1,
  );
  return {
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth: window.innerWidth,
    images: [...document.images].map((i) => ({ complete: i.complete, width: i.naturalWidth, alt: i.alt })),
    wide: wide.map((e) => e.tagName + '.' + e.className + ' ' + e.scrollWidth + '>' + e.clientWidth),
    scripts: document.scripts.length,
    // chart text cut off at its picture's edge
    clipped: [...document.querySelectorAll('svg text')]
      .filter((t) => {
        const box = t.getBoundingClientRect();
        const svg = t.ownerSVGElement.getBoundingClientRect();
        return box.width > 0 && (box.left < svg.left - 1 || box.right > svg.right + 1);
      })
      .map((t) => t.textContent),
  };
})()`;

describe('kit report pages in Chromium', () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(() => browser?.close());

  it('lay out without horizontal overflow, load every image and fetch nothing', async () => {
    const minImages: Record<string, number> = { training: 0, dissection: 16, stability: 0, robustness: 15, bias: 4 };
    for (const name of Object.keys(pages)) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const fetched: string[] = [];
      page.on('request', (r) => {
        if (!/^(data:|file:)/.test(r.url())) fetched.push(r.url());
      });
      await page.goto(pathToFileURL(join(dir, `${name}.html`)).href, { waitUntil: 'load' });
      const facts = (await page.evaluate(FACTS)) as PageFacts;
      assert.ok(facts.scrollWidth <= facts.innerWidth, `${name}: page ${facts.scrollWidth} px wide in ${facts.innerWidth}`);
      assert.deepEqual(facts.wide, [], `${name}: a box scrolls sideways`);
      assert.equal(facts.scripts, 0, `${name}: no script`);
      assert.deepEqual(facts.clipped, [], `${name}: chart text cut off`);
      assert.ok(facts.images.length >= (minImages[name] ?? 0), `${name}: ${facts.images.length} images`);
      for (const img of facts.images) assert.ok(img.complete && img.width > 0, `${name}: image not loaded: ${img.alt}`);
      assert.deepEqual(fetched, [], `${name}: nothing fetched`);
      await page.close();
    }
  });

  it('the dissection page filters by category and sorts by IoU without script', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(pathToFileURL(join(dir, 'dissection.html')).href, { waitUntil: 'load' });
    const visible = async () =>
      (await page.evaluate(`[...document.querySelectorAll('.unit')]
        .filter((e) => getComputedStyle(e).display !== 'none')
        .map((e) => ({ unit: Number(e.dataset.unit), x: e.getBoundingClientRect().left, y: e.getBoundingClientRect().top }))
        .sort((a, b) => a.y - b.y || a.x - b.x)
        .map((e) => e.unit)`)) as number[];
    assert.deepEqual(await visible(), [3, 1, 2, 4], 'IoU, highest first');
    await page.click('text=IoU, lowest first');
    assert.deepEqual(await visible(), [4, 2, 1, 3]);
    await page.click('input.sort-unit');
    assert.deepEqual(await visible(), [1, 2, 3, 4]);
    await page.click('input.cat-1'); // part
    assert.deepEqual(await visible(), [1, 4]);
    await page.click('input.cat-all');
    assert.deepEqual(await visible(), [1, 2, 3, 4]);
    await page.close();
  });
});
