// Bundles the compiled CLI (dist/cli/main.js and every module it imports, lazily loaded command
// runs as separate chunks) into dist/bundle/, which bin/lucerna.js runs. Loading ~260 small ES
// modules cost more CPU at start than the work of `lucerna --help`; one bundle with a few chunks
// halves that (issue #19). Native and heavy optional packages stay outside (resolved from
// node_modules at run time, as before). Run after `tsc -p tsconfig.build.json` (`npm run build`).
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bundle`;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: `${root}dist/cli/main.js` },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunk-[hash]',
  // Native code, browser-only and test-only packages: loaded from node_modules when used.
  external: ['onnxruntime-node', 'onnxruntime-common', 'onnxruntime-web', 'sharp', 'playwright-core', 'elkjs', 'vite', 'lit', 'nsfwjs', '@tensorflow/*', 'tsx'],
  // Bundled CommonJS packages (protobufjs) call require; give the ES chunks one.
  banner: { js: "import { createRequire as __lucernaRequire } from 'node:module'; const require = __lucernaRequire(import.meta.url);" },
  // Whitespace and syntax only: names stay readable in the rare stack trace. Keeps the package small
  // (the packed install has a 400 MiB cap).
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
