/**
 * The studio with no server (issue #21): the single-file build (`npm run build:studio-file`,
 * `src/studio/vite.file.config.ts`) opened from `file://` in Debian's Chromium, which refuses
 * module scripts, module workers and fetches there. A model and an image are opened through the
 * page's file inputs, Grad-CAM runs in the core worker and is drawn, the numbers equal Node's, and
 * no console error appears.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { getMethod } from '../../src/attribution/methods.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { launchChromium } from '../helpers/chromium.js';
import { hasOracle, oracleDir } from '../helpers/oracle.js';
import { buildStudio } from './studio-site.js';

declare const window: {
  lucerna: {
    ready: Promise<{ threads: number; backend: string; backendReason: string }>;
    core: { attribute(m: string, x: { data: Float32Array; shape: number[] }, o: object): Promise<{ attribution: { data: Float32Array } }> };
  };
};

let dir: string;
let browser: Browser;
before(async () => {
  if (!hasOracle()) return;
  dir = await mkdtemp(join(tmpdir(), 'lucerna-studio-file-'));
  await buildStudio(join(dir, 'site'), 'vite.file.config.ts');
  await sharp(
    new Uint8Array(40 * 48 * 3).map((_, i) => (i * 31) % 256),
    { raw: { width: 40, height: 48, channels: 3 } },
  )
    .png()
    .toFile(join(dir, 'image.png'));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the studio opened from file:// (no server)', { skip: !hasOracle() && 'no shared oracle' }, () => {
  it('is one HTML file that opens a model and an image from disk and runs Grad-CAM, with Node’s numbers', async () => {
    // Nothing else, not even an empty assets/ folder (files and folders alike).
    assert.deepEqual(readdirSync(join(dir, 'site'), { recursive: true }), ['index.html']);
    const page = await browser.newPage();
    // A 20 MiB page on a shared 2-core machine: generous waits (no timing is asserted).
    page.setDefaultTimeout(90_000);
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(pathToFileURL(join(dir, 'site/index.html')).href);
    const shellStatus = page.locator('lucerna-studio .status');
    await shellStatus.filter({ hasText: 'no server: open a model file' }).waitFor();
    const info = await page.evaluate(() => window.lucerna.ready);
    assert.equal(info.threads, 1, 'a page from disk is not cross-origin isolated');
    assert.equal(info.backend, 'wasm', info.backendReason);

    const model = join(oracleDir, 'tiny_cnn/model.onnx');
    await page.locator('#open-model').setInputFiles(model);
    await shellStatus.filter({ hasText: 'Opened model.onnx' }).waitFor();
    await page.click('#tab-compare');
    await page.locator('lucerna-compare-view input[type=file]').setInputFiles(join(dir, 'image.png'));
    await page.locator('.status', { hasText: 'image.png ready' }).waitFor();
    for (const box of await page.locator('.methods input[type=checkbox]').all()) {
      if ((await box.getAttribute('data-method')) !== 'grad-cam') await box.uncheck();
    }
    await page.click('#run-methods');
    await page.locator('.status', { hasText: '1 of 1 methods on image.png' }).waitFor();
    const canvas = page.locator('canvas[data-method="grad-cam"]');
    assert.equal(await canvas.getAttribute('data-drawn'), '1');
    assert.equal(await canvas.evaluate((c) => (c as unknown as { width: number }).width), 32);

    // The engine from disk computes what Node computes.
    const x = { data: Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.37)), shape: [1, 3, 32, 32] };
    const web = await page.evaluate(
      async ({ data, shape }) => Array.from((await window.lucerna.core.attribute('grad-cam', { data: Float32Array.from(data), shape }, {})).attribution.data),
      { data: Array.from(x.data), shape: x.shape },
    );
    await using node = await Model.load(readFileSync(model), { runtime: nodeRuntime });
    const expected = (await getMethod('grad-cam').attribute(node, x, {})).attribution.data;
    const scale = Math.max(...Array.from(expected, Math.abs));
    assert.ok(scale > 0);
    const diff = Math.max(...web.map((v, i) => Math.abs(v - (expected[i] as number))));
    assert.ok(diff <= 1e-4 * scale, `max |file:// − node| = ${diff}, scale ${scale}`);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
