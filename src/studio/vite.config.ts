/**
 * Builds the studio's browser app (src/studio/app) into a static site in dist/studio-app: `npm run
 * build:studio`. The core worker and onnxruntime-web's wasm file are bundled beside the page, so
 * the site needs no network and no backend; any static server (or `lucerna studio`) serves it.
 *
 * WebGPU: the worker loads onnxruntime-web's WebGPU build lazily (`webgpu-runtime.ts`), but its
 * 27 MiB engine is left out of the default build to keep the npm package small. With
 * `LUCERNA_STUDIO_WEBGPU=1` the engine is copied into the site's `ort-webgpu/` folder, and a browser
 * with a WebGPU adapter then runs on it (`backend.ts`).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { WEBGPU_ENGINE } from './app/backend.js';

const app = fileURLToPath(new URL('./app', import.meta.url));
const out = fileURLToPath(new URL('../../dist/studio-app', import.meta.url));
const require = createRequire(import.meta.url);

/**
 * `lucerna:ort-webgpu`: onnxruntime-web's WebGPU build that loads its engine from `wasmPaths` at run
 * time (the package's `dist/ort.webgpu.min.mjs`), so bundling it copies no 27 MiB wasm.
 */
export const ortWebgpuAlias = {
  find: 'lucerna:ort-webgpu',
  replacement: join(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'), '../ort.webgpu.min.mjs'),
};

/** With LUCERNA_STUDIO_WEBGPU=1, copies the WebGPU engine into `<outDir>/ort-webgpu/`. */
function webgpuEngine(): Plugin {
  let outDir = out;
  return {
    name: 'lucerna-webgpu-engine',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    closeBundle() {
      if (process.env.LUCERNA_STUDIO_WEBGPU !== '1') return;
      mkdirSync(join(outDir, 'ort-webgpu'), { recursive: true });
      for (const file of Object.values(WEBGPU_ENGINE)) copyFileSync(require.resolve(`onnxruntime-web/${file}`), join(outDir, 'ort-webgpu', file));
    },
  };
}

export default defineConfig({
  root: app,
  base: './',
  logLevel: 'warn',
  resolve: { alias: [ortWebgpuAlias] },
  plugins: [webgpuEngine()],
  build: {
    outDir: out,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 2048,
    // No "plugin X took 3 s" notes: on a shared 2-core machine they report the machine, not the build.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  worker: { format: 'es', rolldownOptions: { checks: { bundlerTimings: false } } },
});
