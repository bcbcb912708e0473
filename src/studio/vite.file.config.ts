/**
 * Builds the studio as one HTML file that works opened from disk (`file://`, no server):
 * `npm run build:studio-file` writes build/studio-file/index.html. Chromium refuses module scripts,
 * module workers and fetches from `file://`, so here the page script is an inlined classic script,
 * the core worker is a classic worker started from a Blob URL (`start-worker-inline.ts`), and
 * onnxruntime-web's wasm is inlined and handed over as bytes (`wasm-source-inline.ts`). One wasm
 * thread: a page from disk cannot be cross-origin isolated. The file is about 20 MiB; it is not
 * part of the npm package (build/ is outside its `files`).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { ortWebgpuAlias } from './vite.config.js';

const app = fileURLToPath(new URL('./app', import.meta.url));
const out = fileURLToPath(new URL('../../build/studio-file', import.meta.url));
const swap = (from: string, to: string) => ({ find: new RegExp(`^\\./${from}\\.js$`), replacement: `${app}/${to}.ts` });
const noTimings = { checks: { bundlerTimings: false, emptyImportMeta: false } };

/** `virtual:ort-wasm-base64`: onnxruntime-web's wasm as one base64 string (the default export). */
function ortWasmBase64(): Plugin {
  const id = 'virtual:ort-wasm-base64';
  return {
    name: 'lucerna-ort-wasm-base64',
    resolveId: (source) => (source === id ? `\0${id}` : undefined),
    load(loaded) {
      if (loaded !== `\0${id}`) return undefined;
      const file = createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm');
      return `export default ${JSON.stringify(readFileSync(file).toString('base64'))};`;
    },
  };
}

/**
 * Puts the page's one script into index.html as a classic `<script>` (after the elements it
 * upgrades), so nothing is loaded from a file beside it.
 */
function inlineClassicScript(): Plugin {
  return {
    name: 'lucerna-inline-classic-script',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const html = bundle['index.html'];
      if (html?.type !== 'asset') throw new Error('the file build has no index.html');
      const chunks = Object.values(bundle).filter((c) => c.type === 'chunk');
      if (chunks.length !== 1) throw new Error(`the file build must be one script, got ${chunks.length}`);
      const chunk = chunks[0] as Extract<(typeof chunks)[number], { type: 'chunk' }>;
      const code = chunk.code.replaceAll('</script', '<\\/script');
      let page = String(html.source).replace(/<script\b[^>]*\bsrc="[^"]*"[^>]*><\/script>\s*/, '');
      page = page.replace('</body>', () => `<script>${code}</script>\n</body>`);
      html.source = page;
      delete bundle[chunk.fileName];
      // onnxruntime-web names its wasm with `new URL(…, import.meta.url)`, so Vite copies it; here the
      // bytes are inlined instead, and the copy would only be 14 MiB of dead weight.
      for (const name of Object.keys(bundle)) if (name.endsWith('.wasm')) delete bundle[name];
    },
  };
}

export default defineConfig({
  root: app,
  base: './',
  logLevel: 'warn',
  resolve: { alias: [ortWebgpuAlias, swap('start-worker', 'start-worker-inline'), swap('wasm-source', 'wasm-source-inline')] },
  plugins: [ortWasmBase64(), inlineClassicScript()],
  build: {
    outDir: out,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    modulePreload: false,
    chunkSizeWarningLimit: 65536,
    rolldownOptions: { ...noTimings, output: { format: 'iife', codeSplitting: false } },
  },
  worker: { format: 'iife', plugins: () => [ortWasmBase64()], rolldownOptions: { ...noTimings, output: { codeSplitting: false } } },
});
