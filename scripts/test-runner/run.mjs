/**
 * `npm test`: runs every `*.test.ts` under src/ and test/ (or only the files and folders given:
 * `npm test -- test/cli`) with node's test runner, two files at a time (LUCERNA_TEST_CONCURRENCY
 * changes it), on the TypeScript compiled once ahead (./compile.mjs, loaded by ./register.mjs).
 *
 * Node 20's test runner does not run `--import` modules in its own process, only in each test
 * file's, so the work done once per run lives here: this process makes the compiled folder and a
 * fresh compile cache (LUCERNA_CACHE_DIR) for the run, names both to the runner it starts, and
 * removes both when the runner ends: on success, on failure and on Ctrl-C (SIGINT, SIGTERM, SIGHUP
 * are passed on to the runner, which stops its test files; the exit code is then 128 + the signal).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileTypeScript, root } from './compile.mjs';

/** Every `*.test.ts` file under `path` (itself when it is one), in code-point order of its path. */
function testFiles(path) {
  if (!statSync(path).isDirectory()) return path.endsWith('.test.ts') ? [path] : [];
  const out = [];
  for (const e of readdirSync(path, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    out.push(...testFiles(join(path, e.name)));
  }
  return out.sort();
}

const targets = process.argv.slice(2);
const files = (targets.length > 0 ? targets.map((t) => resolve(t)) : [join(root, 'src'), join(root, 'test')])
  .flatMap((t) => testFiles(t))
  .map((f) => relative(root, f));
if (files.length === 0) {
  process.stderr.write(`npm test: no *.test.ts file under ${targets.join(', ')}\n`);
  process.exit(1);
}

const made = [];
const cleanUp = () => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanUp);

let stopped = '';
// Until the runner has started, a signal ends this process at once (after the clean-up above).
const early = (signal) => {
  cleanUp();
  process.exit(128 + constants.signals[signal]);
};
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const s of signals) process.on(s, early);

const cache = mkdtempSync(join(tmpdir(), 'lucerna-test-cache-'));
made.push(cache);
const compiled = mkdtempSync(join(tmpdir(), 'lucerna-test-js-'));
made.push(compiled);
await compileTypeScript(compiled);

const concurrency = process.env.LUCERNA_TEST_CONCURRENCY ?? '2';
const register = fileURLToPath(new URL('./register.mjs', import.meta.url));
// The runner hands its --import on to every test file's process (Node 20 runs it only there).
const runner = spawn(process.execPath, ['--import', register, '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, LUCERNA_CACHE_DIR: cache, LUCERNA_TEST_JS_DIR: compiled },
});
for (const s of signals) {
  process.off(s, early);
  // Ctrl-C in a terminal reaches the runner too; a signal sent to this process alone is passed on.
  process.on(s, () => {
    stopped ||= s;
    runner.kill(s);
  });
}
runner.on('exit', (code, signal) => {
  cleanUp();
  const by = stopped || signal;
  process.exit(by ? 128 + constants.signals[by] : (code ?? 1));
});
