#!/usr/bin/env node
/**
 * The `lucerna` executable. It runs the built CLI (dist/cli/main.js) when there is one; in a checkout
 * without a build it compiles the TypeScript sources on the fly with tsx. Set LUCERNA_FROM_SOURCE=1
 * to run the sources even when dist/ exists (the CLI tests do, so they never test a stale build).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/cli/main.js', import.meta.url);
const source = new URL('../src/cli/main.ts', import.meta.url);

async function loadCli() {
  if (process.env.LUCERNA_FROM_SOURCE !== '1' && existsSync(fileURLToPath(built))) return import(built.href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(source.href);
}

const { main } = await loadCli();
process.exitCode = await main(process.argv);
