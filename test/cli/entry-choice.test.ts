/**
 * `bin/lucerna.js` picks what to run (issue #19: a checkout should not pay for tsx when the build is
 * fresh): the build when dist/cli/main.js is newer than every source file, the bundle when it is not
 * older than dist/cli/main.js, the sources through tsx otherwise; an installed package (no src/)
 * runs its bundle. Checked on a fake package whose three entries only say who they are.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { root } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-entry-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const entry = (who: string) => `export async function main() { process.stdout.write('${who}\\n'); return 0; }\n`;
const files = { source: join(dir, 'src/cli/main.ts'), build: join(dir, 'dist/cli/main.js'), bundle: join(dir, 'dist/bundle/main.js') };

function layout(): void {
  for (const d of ['bin', 'src/cli', 'dist/cli', 'dist/bundle']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync(join(root, 'bin/lucerna.js'), join(dir, 'bin/lucerna.js'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fake', version: '0.0.0', type: 'module' }));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(files.source, entry('source'));
  writeFileSync(files.build, entry('build'));
  writeFileSync(files.bundle, entry('bundle'));
}

/** Sets each file's modification time (seconds from now; missing keys untouched). */
function times(t: Partial<Record<keyof typeof files, number>>): void {
  const now = Date.now() / 1000;
  for (const [k, s] of Object.entries(t)) utimesSync(files[k as keyof typeof files], now + s, now + s);
}

const run = () =>
  execFileSync(process.execPath, [join(dir, 'bin/lucerna.js'), 'x'], {
    env: { ...process.env, LUCERNA_HUGEPAGES: '0', LUCERNA_FROM_SOURCE: '', LUCERNA_FROM_DIST: '' },
    encoding: 'utf8',
  }).trim();

describe('bin/lucerna.js entry choice', () => {
  layout();
  it('a fresh build runs without tsx; the bundle when it is as new as the build', () => {
    times({ source: -100, build: -50, bundle: -60 });
    assert.equal(run(), 'build');
    times({ bundle: -10 });
    assert.equal(run(), 'bundle');
  });

  it('a source newer than the build runs the sources through tsx', () => {
    times({ source: -5, build: -50, bundle: -40 });
    assert.equal(run(), 'source');
  });

  it('an installed package (no src/) runs its bundle', () => {
    rmSync(join(dir, 'src'), { recursive: true });
    times({ build: -5, bundle: -50 });
    assert.equal(run(), 'bundle');
  });
});
