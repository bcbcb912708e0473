/**
 * The studio's browser app for tests and the browser bench: built once per process with Vite
 * into a temporary folder, served on 127.0.0.1, opened in Debian's Chromium, with helpers that
 * call the page's core client (`window.lucerna.core`).
 */
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { WEBGPU_ENGINE } from '../../src/studio/app/backend.js';
import { launchChromium } from '../helpers/chromium.js';
import { root } from '../helpers/cli.js';
import { type StaticSite, serveStatic } from '../helpers/static-site.js';

/** The page's `window.lucerna` (see src/studio/app/main.ts), as far as these helpers use it. */
interface PageCore {
  readonly ready: Promise<StudioSession['info']>;
  readonly core: {
    loadModel(bytes: Uint8Array, name?: string): Promise<unknown>;
    predict(input: { data: Float32Array; shape: readonly number[] }): Promise<unknown>;
    listLayers(): Promise<{ name: string; shape: readonly number[]; isDefault: boolean }[]>;
    decodeImage(bytes: Uint8Array): Promise<{ data: Float32Array; shape: readonly number[] }>;
    attribute(
      method: string,
      input: { data: Float32Array; shape: readonly number[] },
      options?: Record<string, unknown>,
      control?: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal },
    ): Promise<{ attribution: { data: Float32Array; shape: readonly number[] }; targets: readonly number[] }>;
  };
}

declare const window: { lucerna: PageCore };

/** A served build of the studio in a running browser. */
export interface StudioSession {
  readonly browser: Browser;
  readonly page: Page;
  readonly site: StaticSite;
  /** The core's self-description (threads, methods). */
  readonly info: {
    threads: number;
    backend: string;
    backendReason: string;
    crossOriginIsolated: boolean;
    methods: { name: string; needs: { gradients: boolean } }[];
  };
  close(): Promise<void>;
}

/**
 * Builds the app with Vite into `outDir`: the served site (`src/studio/vite.config.ts`), or with
 * `config: 'vite.file.config.ts'` the single file that opens from disk. In an `npm test` run
 * (LUCERNA_TEST_JS_DIR names its scratch folder, see scripts/test-runner/) each config is built
 * once, from this run's sources, and copied to the later callers' `outDir`.
 */
export async function buildStudio(outDir: string, config = 'vite.config.ts'): Promise<void> {
  const scratch = process.env.LUCERNA_TEST_JS_DIR;
  if (!scratch) return viteBuild(outDir, config);
  const built = join(scratch, `studio-build-${config}`);
  if (!existsSync(built)) {
    const fresh = await mkdtemp(join(scratch, 'studio-build-'));
    await viteBuild(fresh, config);
    // A test file running beside this one may have built it first: keep that one.
    await rename(fresh, built).catch(() => rm(fresh, { recursive: true, force: true }));
  }
  await cp(built, outDir, { recursive: true });
}

async function viteBuild(outDir: string, config: string): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(root, 'src/studio', config), logLevel: 'error', build: { outDir, emptyOutDir: true } });
}

/**
 * Builds, serves (cross-origin isolated when `isolated`, so onnxruntime-web gets 2 threads) and
 * opens the studio; `files` are extra URL paths → local files the page may fetch.
 */
export async function openStudio(options: { files?: Record<string, string>; isolated?: boolean; webgpuEngine?: boolean } = {}): Promise<StudioSession> {
  const out = await mkdtemp(join(tmpdir(), 'lucerna-studio-'));
  await buildStudio(out);
  // What LUCERNA_STUDIO_WEBGPU=1 adds to a build: onnxruntime-web's WebGPU engine in ort-webgpu/.
  if (options.webgpuEngine) {
    await mkdir(join(out, 'ort-webgpu'));
    for (const file of Object.values(WEBGPU_ENGINE))
      await copyFile(createRequire(import.meta.url).resolve(`onnxruntime-web/${file}`), join(out, 'ort-webgpu', file));
  }
  const site = await serveStatic(out, { extra: options.files ?? {}, isolated: options.isolated ?? true });
  const browser = await launchChromium();
  const page = await browser.newPage();
  // tsx compiles the functions these helpers pass to page.evaluate with esbuild's name helper; the page needs it too.
  await page.addInitScript('globalThis.__name = (f) => f');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(site.url);
  const info = await page.evaluate(() => window.lucerna.ready);
  if (errors.length) throw new Error(`The studio page failed: ${errors.join('; ')}`);
  return {
    browser,
    page,
    site,
    info,
    async close() {
      await browser.close();
      await site.close();
      await rm(out, { recursive: true, force: true });
    },
  };
}

/** Loads the model at URL path `modelPath` into the page's core. */
export async function loadModelInPage(page: Page, modelPath: string): Promise<void> {
  await page.evaluate(async (path) => {
    const bytes = new Uint8Array(await (await fetch(path)).arrayBuffer());
    await window.lucerna.core.loadModel(bytes, path);
  }, modelPath);
}

/** What {@link cancelInPage} saw: the progress reports before the abort, and how the call ended. */
export interface CancelOutcome {
  readonly progress: [number, number][];
  readonly error?: { name: string; code: string; message: string };
}

/**
 * Starts `method` in the page and aborts it at its first progress report (the page's own
 * AbortController, as a view's cancel button does).
 */
export async function cancelInPage(
  page: Page,
  method: string,
  input: { data: Float32Array; shape: readonly number[] },
  options: Record<string, unknown>,
): Promise<CancelOutcome> {
  return page.evaluate(
    async ({ method, data, shape, options }) => {
      const progress: [number, number][] = [];
      const ctrl = new AbortController();
      try {
        await window.lucerna.core.attribute(method, { data: Float32Array.from(data), shape }, options, {
          onProgress: (done: number, total: number) => {
            progress.push([done, total]);
            ctrl.abort();
          },
          signal: ctrl.signal,
        });
        return { progress };
      } catch (e) {
        const err = e as { name: string; code: string; message: string };
        return { progress, error: { name: err.name, code: err.code, message: err.message } };
      }
    },
    { method, data: Array.from(input.data), shape: [...input.shape], options },
  );
}

/** One attribution computed in the page: values as a plain array, plus targets. */
export async function attributeInPage(
  page: Page,
  method: string,
  input: { data: Float32Array; shape: readonly number[] },
  options: Record<string, unknown>,
): Promise<{ values: number[]; shape: number[]; targets: number[] }> {
  return page.evaluate(
    async ({ method, data, shape, options }) => {
      const r = await window.lucerna.core.attribute(method, { data: Float32Array.from(data), shape }, options);
      return { values: Array.from(r.attribution.data), shape: [...r.attribution.shape], targets: [...r.targets] };
    },
    { method, data: Array.from(input.data), shape: [...input.shape], options },
  );
}

/**
 * Median milliseconds of `reps` calls of `method` (or `forward`: the plain model run) from the page's UI thread (client → worker →
 * result back), after untimed warm-up calls: at least `warmup` of them and, when `warmupMs` is set, for at least that long
 * (at most 200 calls). The input crosses into the page once. V8 first runs WebAssembly as baseline (Liftoff) code and moves
 * hot functions to optimised (TurboFan) code in the background, so onnxruntime-web needs many calls (10–20 for MobileNetV2
 * on a loaded 2-core machine) before its speed settles; a steady-state timing needs the time-based warm-up.
 */
export async function timeInPage(
  page: Page,
  method: string,
  input: { data: Float32Array; shape: readonly number[] },
  options: Record<string, unknown>,
  { warmup = 2, warmupMs = 0, reps = 7 } = {},
): Promise<number> {
  return page.evaluate(
    async ({ method, data, shape, options, warmup, warmupMs, reps }) => {
      const x = { data: Float32Array.from(data), shape };
      // Each call sends a copy (the client moves no input buffers), so x stays usable.
      // `forward` times the plain model run (the engine's baseline), anything else a registry method.
      const call = () => (method === 'forward' ? window.lucerna.core.predict(x) : window.lucerna.core.attribute(method, x, options));
      const start = performance.now();
      for (let i = 0; i < 200 && (i < warmup || performance.now() - start < warmupMs); i++) await call();
      const times: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t0 = performance.now();
        await call();
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      return times[Math.floor(times.length / 2)] as number;
    },
    { method, data: Array.from(input.data), shape: [...input.shape], options, warmup, warmupMs, reps },
  );
}

/** The loaded model's layers as the page lists them. */
export function listLayersInPage(page: Page): Promise<{ name: string; shape: readonly number[]; isDefault: boolean }[]> {
  return page.evaluate(() => window.lucerna.core.listLayers());
}

/** An encoded image decoded by the page's core into the loaded model's input. */
export async function decodeImageInPage(page: Page, bytes: Uint8Array): Promise<{ values: number[]; shape: number[] }> {
  return page.evaluate(async (data) => {
    const t = await window.lucerna.core.decodeImage(Uint8Array.from(data));
    return { values: Array.from(t.data), shape: [...t.shape] };
  }, Array.from(bytes));
}
