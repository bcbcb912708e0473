#!/usr/bin/env node
/**
 * The `lucerna` executable.
 *
 * - An installed package (no src/) runs the build in dist/.
 * - A checkout runs dist/ when the build is fresh (dist/cli/main.js newer than every non-test file
 *   under src/), and otherwise the TypeScript sources through tsx, so it never runs a stale build
 *   and pays for tsx (about 1 s) only when it must.
 * - LUCERNA_FROM_SOURCE=1 forces the sources (the tests use it), LUCERNA_FROM_DIST=1 the build.
 * - `lucerna --version` (alone) answers from package.json without loading the CLI.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
  process.exit(0);
}

const built = new URL('../dist/cli/main.js', import.meta.url);
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

function useBuild() {
  if (process.env.LUCERNA_FROM_SOURCE === '1') return false;
  if (process.env.LUCERNA_FROM_DIST === '1') return true;
  const sources = newestSource(sourceDir);
  if (sources === undefined) return true;
  const build = mtime(fileURLToPath(built));
  return build !== undefined && build > sources;
}

async function loadCli() {
  if (useBuild()) return import(built.href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(new URL('../src/cli/main.ts', import.meta.url).href);
}

const { main } = await loadCli();
process.exitCode = await main(process.argv);
