#!/usr/bin/env node
/**
 * The `lucerna` executable. In a checkout (src/ present) it runs the TypeScript sources through tsx,
 * so it never runs a stale build; an installed package (no src/) runs the build in dist/.
 * Set LUCERNA_FROM_DIST=1 to force the build.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/cli/main.js', import.meta.url);
const source = new URL('../src/cli/main.ts', import.meta.url);

async function loadCli() {
  const useBuild = process.env.LUCERNA_FROM_DIST === '1' || !existsSync(fileURLToPath(source));
  if (useBuild) return import(built.href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(source.href);
}

const { main } = await loadCli();
process.exitCode = await main(process.argv);
