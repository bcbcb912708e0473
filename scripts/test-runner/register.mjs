/**
 * `node --import ./scripts/test-runner/register.mjs <file.ts>` runs TypeScript without tsx: it
 * registers ./hooks.mjs, which loads each .ts file from the folder that ./compile.mjs filled ahead,
 * named by LUCERNA_TEST_JS_DIR (./run.mjs, what `npm test` runs, makes it once per run and passes it
 * to every test process), and compiles a file with esbuild when it has no compiled copy there or
 * was edited since (or when LUCERNA_TEST_JS_DIR is unset). Loading tsx in each of the suite's ~190
 * test processes cost about 0.6 s of CPU per file. (`node --import tsx --test <file>` still runs any
 * single file.)
 */
import { register } from 'node:module';
import { root } from './compile.mjs';

process.setSourceMapsEnabled(true);
register('./hooks.mjs', import.meta.url, { data: { root, outDir: process.env.LUCERNA_TEST_JS_DIR ?? '' } });
