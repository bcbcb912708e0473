#!/usr/bin/env node
/**
 * The `lucerna` executable.
 *
 * - An installed package (no src/) runs the build: the bundled CLI in dist/bundle/ (one file and a
 *   few lazily loaded chunks: about half the start-up CPU of loading dist/'s ~260 modules), or
 *   dist/cli/ when there is no bundle.
 * - A checkout runs the build when it is fresh (dist/cli/main.js newer than every non-test file
 *   under src/; the bundle only when it is newer than dist/cli/main.js), and otherwise the
 *   TypeScript sources through tsx, so it never runs a stale build and pays for tsx (about 1 s)
 *   only when it must. `npm run build` makes both.
 * - On Node >= 22.1 V8's on-disk compile cache is turned on (module.enableCompileCache); Node 20
 *   has no such API, and the call is skipped.
 * - LUCERNA_FROM_SOURCE=1 forces the sources (the tests use it), LUCERNA_FROM_DIST=1 the build.
 *   Within `npm test` (LUCERNA_TEST_JS_DIR set) the sources load through the suite's compiled
 *   copy (scripts/test-runner/register.mjs) instead of tsx.
 * - `lucerna --version` (alone) answers from package.json without loading the CLI.
 * - Huge pages (Linux): a command that computes runs in a child Node process with glibc's
 *   `glibc.malloc.hugetlb=1` tunable, which glibc reads only at start, so that ONNX Runtime's
 *   and Node's large buffers (weights, activations, the compile cache entry) are backed by
 *   transparent huge pages where the kernel gives them on request (`madvise` mode). Touching fresh
 *   memory page by page dominated a warm gradient command (saliency on ResNet-18: 2.8 s → 1.5 s
 *   CPU on the bench machine). The parent only waits and passes signals on; `LUCERNA_HUGEPAGES=0`
 *   turns this off; nothing changes where THP is `always` or `never`, or `--help` is asked.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
  process.exit(0);
}

/** Whether to re-run this command with huge pages (see above). */
function wantsHugePages() {
  if (process.platform !== 'linux' || process.env.LUCERNA_HUGEPAGES === '0') return false;
  if ((process.env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.hugetlb')) return false;
  if (args.length === 0 || args.some((a) => a === '--help' || a === '-h' || a === 'help')) return false;
  try {
    return readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8').includes('[madvise]');
  } catch {
    return false;
  }
}

/**
 * Runs this command again in a child with the tunable set and mirrors its end. A terminal sends
 * Ctrl-C to both processes, so SIGINT is passed on only when no stdio is a terminal (a signal sent
 * to this process alone, by a script); SIGTERM and SIGHUP always are.
 */
async function runWithHugePages() {
  const { spawn } = await import('node:child_process');
  const tunables = [process.env.GLIBC_TUNABLES, 'glibc.malloc.hugetlb=1'].filter(Boolean).join(':');
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, GLIBC_TUNABLES: tunables },
  });
  const terminal = process.stdin.isTTY || process.stdout.isTTY || process.stderr.isTTY;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (signal !== 'SIGINT' || !terminal) child.kill(signal);
    });
  }
  const [code, signal] = await new Promise((done) => {
    child.on('exit', (c, s) => done([c, s]));
    child.on('error', () => done([1, null]));
  });
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
}

if (wantsHugePages()) await runWithHugePages();

module.enableCompileCache?.();

const built = new URL('../dist/cli/main.js', import.meta.url);
const bundled = new URL('../dist/bundle/main.js', import.meta.url);
const sourceDir = fileURLToPath(new URL('../src/', import.meta.url));

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The newest modification time of the non-test .ts files under `dir`, or undefined when there is none. */
function newestSource(dir) {
  let newest;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    const t = e.isDirectory() ? newestSource(path) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? mtime(path) : undefined;
    if (t !== undefined && (newest === undefined || t > newest)) newest = t;
  }
  return newest;
}

let sourcesTime = null;
/** The newest source time, walked once (undefined in an installed package). */
function sourcesNewest() {
  if (sourcesTime === null) sourcesTime = newestSource(sourceDir);
  return sourcesTime;
}

function useBuild() {
  if (process.env.LUCERNA_FROM_SOURCE === '1') return false;
  if (process.env.LUCERNA_FROM_DIST === '1') return true;
  const sources = sourcesNewest();
  if (sources === undefined) return true;
  const build = mtime(fileURLToPath(built));
  return build !== undefined && build > sources;
}

/**
 * The bundle when there is one and, in a checkout, it was made from the current dist/ (not older
 * than dist/cli/main.js). An installed package always takes its bundle: the build made both, and
 * npm's extraction order sets the file times.
 */
function entryOfBuild() {
  const bundle = mtime(fileURLToPath(bundled));
  if (bundle === undefined) return built;
  // An installed package has no src/ (a stat, not the walk: LUCERNA_FROM_DIST=1 skips it).
  if (mtime(sourceDir) === undefined) return bundled;
  const build = mtime(fileURLToPath(built));
  return build === undefined || bundle >= build ? bundled : built;
}

async function loadCli() {
  if (useBuild()) return import(entryOfBuild().href);
  // In `npm test` the sources were compiled once for the whole run (scripts/test-runner/ names the
  // folder in LUCERNA_TEST_JS_DIR): the suite's loader reads them, saving tsx's start-up.
  const suiteLoader = new URL('../scripts/test-runner/register.mjs', import.meta.url);
  if (process.env.LUCERNA_TEST_JS_DIR && mtime(fileURLToPath(suiteLoader)) !== undefined) await import(suiteLoader.href);
  else (await import('tsx/esm/api')).register();
  return import(new URL('../src/cli/main.ts', import.meta.url).href);
}

const { main } = await loadCli();
process.exitCode = await main(process.argv);
