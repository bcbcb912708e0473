/**
 * Builds the studio's browser app (src/studio/app) into a static site in dist/studio-app: `npm run
 * build:studio`. The core worker and onnxruntime-web's wasm file are bundled beside the page, so
 * the site needs no network and no backend; any static server (or `lucerna studio`) serves it.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const app = fileURLToPath(new URL('./app', import.meta.url));
const out = fileURLToPath(new URL('../../dist/studio-app', import.meta.url));

export default defineConfig({
  root: app,
  base: './',
  logLevel: 'warn',
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
