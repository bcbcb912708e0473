/**
 * Layering (issue #12: `render` imported `percentile` from `attribution`): the drawing code under
 * `src/render/` imports nothing from the computing layers (`attribution`, `engine`, `compiler`);
 * shared numeric helpers live in `tensor/`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { it } from 'node:test';
import { root } from '../helpers/cli.js';

const FORBIDDEN = ['attribution', 'engine', 'compiler'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

/** The `src/` folder each relative import of `file` lands in. */
function importedLayers(file: string): string[] {
  const specs = [...readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*['"](\.[^'"]+)['"]/g)].map((m) => m[1] as string);
  return specs.map((s) => relative(join(root, 'src'), resolve(dirname(file), s)).split('/')[0] as string);
}

it('src/render imports nothing from attribution, engine or compiler', () => {
  const files = sourceFiles(join(root, 'src/render'));
  assert.ok(files.length > 10, 'the render sources are found');
  const crossings = files.flatMap((f) =>
    importedLayers(f)
      .filter((l) => FORBIDDEN.includes(l))
      .map((l) => `${relative(root, f)} → ${l}`),
  );
  assert.deepEqual(crossings, []);
});
