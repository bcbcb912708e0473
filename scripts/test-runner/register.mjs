/**
 * `node --import ./scripts/test-runner/register.mjs --test …` (what `npm test` runs) runs the
 * TypeScript tests without tsx. The first process (the test runner) compiles every .ts file of the
 * checkout ahead with one esbuild call (./compile.mjs) and names the folder to its child processes
 * in LUCERNA_TEST_JS_DIR; every process registers ./hooks.mjs, which loads those files. Loading
 * tsx in each of the suite's ~185 test processes cost about 0.6 s of CPU per file.
 * (`node --import tsx --test <file>` still runs any single file.)
 */
import { rmSync } from 'node:fs';
import { register } from 'node:module';
import { compileTypeScript, root } from './compile.mjs';

let outDir = process.env.LUCERNA_TEST_JS_DIR ?? '';
if (outDir === '') {
  outDir = await compileTypeScript();
  process.env.LUCERNA_TEST_JS_DIR = outDir;
  const made = outDir;
  process.on('exit', () => rmSync(made, { recursive: true, force: true }));
}
process.setSourceMapsEnabled(true);
register('./hooks.mjs', import.meta.url, { data: { root, outDir } });
