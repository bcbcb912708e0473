/**
 * The core entry (`lucerna`) must run in a browser: nothing it imports, directly or transitively,
 * may be a Node built-in or a Node-only package.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { it } from 'node:test';
import { root } from './helpers/cli.js';

const NODE_ONLY_PACKAGES = ['onnxruntime-node', 'sharp', 'commander', 'cli-progress', 'piscina', 'playwright-core'];

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+['"]([^'"]+)['"]/gm)) specs.push(m[1] as string);
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) specs.push(m[1] as string);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1] as string);
  return specs;
}

it('src/index.ts imports nothing Node-only, transitively', () => {
  const seen = new Set<string>();
  const offenders: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (spec.startsWith('node:') || NODE_ONLY_PACKAGES.some((p) => spec === p || spec.startsWith(`${p}/`)))
        offenders.push(`${file.slice(root.length + 1)} imports ${spec}`);
    }
  };
  visit(join(root, 'src/index.ts'));
  assert.ok(seen.size > 50, `walked ${seen.size} files`);
  assert.deepEqual(offenders, []);
});
