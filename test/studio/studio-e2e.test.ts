/**
 * End to end in Debian's Chromium: `lucerna studio` (in-process, through `main`) on a generated
 * parts data set and a small untrained CNN; the page loads the model, shows its layers, runs
 * Grad-CAM in the core worker, opens the QA view, takes one initial click and three answers by
 * clicking, and the part model updates. Screenshots go to test-artifacts/studio/ (a CI artefact);
 * no console error may appear.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { main } from '../../src/cli/main.js';
import { launchChromium } from '../helpers/chromium.js';
import { lucerna, root } from '../helpers/cli.js';
import { oracleDir } from '../helpers/oracle.js';
import { buildStudio } from './studio-site.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-studio-e2e-'));
const shots = join(root, 'test-artifacts/studio');
const data = join(dir, 'parts');
const model = join(dir, 'cnn.onnx');
/** Shown images are 192 px wide; the data set's are 64 px. */
const ZOOM = 192 / 64;

let browser: Browser;
let url = '';
let stopped: Promise<number>;
const stop = new AbortController();

before(async () => {
  mkdirSync(shots, { recursive: true });
  mkdirSync(join(dir, 'saved'));
  const app = join(dir, 'app');
  await buildStudio(app);
  const made = await lucerna('dataset', 'parts', '--out', data, '--n', '12', '--seed', '3', '--size', '64', '--classes', '2');
  assert.equal(made.code, 0, made.stderr);
  copyFileSync(join(oracleDir, 'tiny_cnn/model.onnx'), model);
  const layers = '/relu1/Relu_output_0,/relu2/Relu_output_0';
  const mined = await lucerna(
    'graph',
    'build',
    model,
    '--dataset',
    data,
    '--class',
    'bird',
    '--layer',
    layers,
    '--patterns',
    '2,2',
    '--parents',
    '2',
    '--peaks',
    '2',
    '--iterations',
    '1',
    '--out',
    join(dir, 'g'),
  );
  assert.equal(mined.code, 0, mined.stderr);
  const listening = new Promise<string>((resolve) => {
    stopped = main(
      [
        'node',
        'lucerna',
        'studio',
        model,
        '--dataset',
        data,
        '--graph',
        join(dir, 'g/graph.json'),
        '--app',
        app,
        '--port',
        '0',
        '--save-dir',
        join(dir, 'saved'),
      ],
      {
        stdout: (text) => {
          const found = /open (http:\/\/\S+?)\/? /.exec(text);
          if (found) resolve(found[1] as string);
        },
        stderr: (text) => process.stderr.write(text),
        isTTY: false,
        signal: stop.signal,
      },
    );
  });
  url = await listening;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  stop.abort();
  assert.equal(await stopped, 130);
  rmSync(dir, { recursive: true, force: true });
});

/** The landmarks of one part by image path (image pixels). */
function landmarks(part: string): Map<string, [number, number]> {
  const rows = readFileSync(join(data, 'landmarks.csv'), 'utf8').trim().split('\n').slice(1);
  const out = new Map<string, [number, number]>();
  for (const row of rows) {
    const [image, name, x, y] = row.split(',');
    if (name === part) out.set(`images/${image}`, [Number(x), Number(y)]);
  }
  return out;
}

async function status(page: Page, pattern: RegExp): Promise<void> {
  try {
    await page.locator('.status', { hasText: pattern }).first().waitFor({ timeout: 20_000 });
  } catch {
    await page.screenshot({ path: join(shots, 'failure.png'), fullPage: true });
    assert.fail(`no status ${pattern}; the page says: ${(await page.locator('.status').allInnerTexts()).join(' | ')}`);
  }
}

describe('lucerna studio in the browser', () => {
  it('loads the model, runs Grad-CAM, and learns a part from clicks', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${url}/`);
    await status(page, /Loaded cnn\.onnx, 12 images, graph\.json/);

    // 1. The model: layers with shapes, the default Grad-CAM layer marked.
    await page.locator('#layers tr.default').first().waitFor();
    assert.match((await page.locator('#layers tr.default').first().textContent()) ?? '', /1×\d+×\d+×\d+/);
    await page.screenshot({ path: join(shots, '1-model.png'), fullPage: true });

    // 2. Grad-CAM on one image, in the worker.
    await page.click('#tab-compare');
    const first = await page.locator('.image-select option').nth(1).getAttribute('value');
    await page.selectOption('.image-select', first as string);
    await status(page, /ready: choose methods/);
    for (const box of await page.locator('.methods input[type=checkbox]').all()) {
      if ((await box.getAttribute('data-method')) !== 'grad-cam') await box.uncheck();
    }
    await page.click('#run-methods');
    await status(page, /1 of 1 methods/);
    const canvas = page.locator('canvas[data-method="grad-cam"]');
    assert.equal(await canvas.getAttribute('data-drawn'), '1', (await page.locator('figcaption').first().textContent()) ?? '');
    assert.equal(await canvas.evaluate((c) => (c as unknown as { width: number }).width), 32);
    await page.screenshot({ path: join(shots, '2-grad-cam.png'), fullPage: true });

    // 3. The explanatory graph: nodes in rows, a click shows a node's details.
    await page.click('#tab-graph');
    const nodes = page.locator('svg#graph circle.node');
    await nodes.first().waitFor();
    assert.ok((await nodes.count()) > 2, 'the graph view draws nodes');
    await nodes.first().click();
    assert.match((await page.locator('#node-details').textContent()) ?? '', /node \d+: layer \/relu\d\/Relu_output_0, filter \d+/);
    await page.screenshot({ path: join(shots, '3-graph.png'), fullPage: true });

    // 4. A layer's units: top patches over the dataset.
    await page.click('#tab-units');
    await page.click('#units-scan');
    await status(page, /units of .* over 12 images/);
    assert.ok((await page.locator('.unit').count()) > 0, 'the units view lists units');
    // Feature visualizations of the same units, in the worker (a few steps), beside their patches.
    const units = await page.locator('.unit').count();
    await page.locator('#units-steps').fill('4');
    await page.locator('#units-steps').dispatchEvent('change');
    await page.click('#units-visualize');
    await status(page, /Feature visualizations of \d+ units of .* \(4 steps\)/);
    assert.equal(await page.locator('img.vis').count(), units, 'one visualization per listed unit');
    assert.equal(
      await page
        .locator('img.vis')
        .first()
        .evaluate((im) => (im as unknown as { naturalWidth: number }).naturalWidth),
      32,
    );
    await page.screenshot({ path: join(shots, '4-units.png'), fullPage: true });
    // A long run stops at Cancel, once it has shown progress.
    await page.locator('#units-steps').fill('100000');
    await page.locator('#units-steps').dispatchEvent('change');
    await page.click('#units-visualize');
    const bar = page.locator('lucerna-units-view progress').nth(1);
    for (let i = 0; i < 600 && (await bar.evaluate((p) => (p as unknown as { value: number }).value)) === 0; i++) await page.waitForTimeout(50);
    assert.ok((await bar.evaluate((p) => (p as unknown as { value: number }).value)) > 0, 'the visualization reported progress');
    await page.locator('lucerna-units-view .cancel').nth(1).click();
    await status(page, /^Cancelled$/);

    // 5. Part QA (units: raw filters of the graph's layers, the default; graph nodes are a choice): one initial click, then three answers by clicking.
    await page.click('#tab-qa');
    const part = await page.locator('#qa-part').inputValue();
    const truth = landmarks(part);
    assert.equal(await page.locator('#qa-units').inputValue(), 'filters');
    await page.click('#qa-start');
    await status(page, /Click the .* in 1–3 of these images, then press Ask \(units: the filters of /);
    const shot = page.locator('.shot').first();
    const firstImage = (await shot.getAttribute('data-image')) as string;
    const [fx, fy] = truth.get(firstImage) ?? [32, 32];
    await shot.locator('img').click({ position: { x: fx * ZOOM, y: fy * ZOOM } });
    const before = (await page.locator('#part-model').textContent()) ?? '';
    await page.click('#qa-ask');
    for (let q = 0; q < 3; q++) {
      await page.locator('#qa-question', { hasText: `Question ${q + 1}:` }).waitFor();
      const asked = page.locator('.shot').first();
      const image = (await asked.getAttribute('data-image')) as string;
      const [x, y] = truth.get(image) ?? [32, 32];
      await asked.locator('img').click({ position: { x: x * ZOOM, y: y * ZOOM } });
    }
    await page.locator('#qa-counts[data-answered="3"]').waitFor();
    const counts = (await page.locator('#qa-counts').textContent()) ?? '';
    assert.match(counts, /3 questions answered/);
    assert.match(counts, /visible on 4, absent on 0/);
    const afterAnswers = (await page.locator('#part-model').textContent()) ?? '';
    assert.notEqual(afterAnswers, before, 'the part model changed after the answers');
    assert.ok((await page.locator('#part-model tr').count()) > 1, 'the part model has units');
    // Save the part model by clicking: the file holds the model shown and every answer.
    await page.click('#qa-save');
    await status(page, /Saved qa-.*\.json in the --save-dir folder/);
    const saved = JSON.parse(readFileSync(join(dir, 'saved', `qa-${part.replace(/[^A-Za-z0-9_-]/g, '_')}.json`), 'utf8'));
    assert.equal(saved.part, part);
    assert.equal(saved.records.length, 4, 'one initial click and three answers');
    assert.equal(saved.records.filter((r: { guess: unknown }) => r.guess !== null).length, 3);
    assert.ok(saved.model.units.length > 0 && saved.model.visible === 4);
    // The experiment on the same pool: a simulated user from landmarks.csv, active vs random.
    await page.click('#qa-simulate');
    await status(page, /Simulated \d+ questions × 3 seeds/);
    assert.equal(await page.locator('svg#qa-curve path').count(), 2);
    assert.match(
      (await page.locator('#qa-margin').textContent()) ?? '',
      /To reach random selection’s final error \(0\.\d{4}\): random needs \d+ questions, active (\d+|does not within them)\./,
    );
    await page.screenshot({ path: join(shots, '5-part-qa.png'), fullPage: true });
    // Changing the units ends the session built for the old ones: Ask and Simulate wait for a new start.
    await page.selectOption('#qa-units', 'nodes');
    await status(page, /^The settings changed: press Start a session$/);
    assert.ok(await page.locator('#qa-simulate').isDisabled());
    assert.ok(await page.locator('#qa-ask').isDisabled());

    assert.deepEqual(errors, []);
    await page.close();
  });
});
