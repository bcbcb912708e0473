/**
 * Compiles every TypeScript file under src/, test/, bench/ and scripts/ to JavaScript with one
 * esbuild call, into a new temporary folder that mirrors the checkout (`src/a.ts` → `<dir>/src/a.js`),
 * for ./hooks.mjs to load. Run alone it prints the folder:
 *   export LUCERNA_TEST_JS_DIR="$(node scripts/test-runner/compile.mjs)"
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The checkout's root folder. */
export const root = resolve(fileURLToPath(import.meta.url), '../../..');

/** Every .ts file under `dir` (not declarations), skipping node_modules and dist. */
function tsFiles(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) tsFiles(path, out);
    else if (/\.[cm]?ts$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Compiles the checkout's TypeScript into `outDir` (by default a new temporary folder) and returns its path. */
export async function compileTypeScript(outDir = mkdtempSync(join(tmpdir(), 'lucerna-test-js-'))) {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: ['src', 'test', 'bench', 'scripts'].flatMap((d) => tsFiles(join(root, d))),
    outdir: outDir,
    outbase: root,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'error',
  });
  // Ends esbuild's service process now, not at this process's exit: npm test's runner process
  // lives for the whole run, and the service's memory is given back for it.
  await esbuild.stop();
  return outDir;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.stdout.write(`${await compileTypeScript()}\n`);
