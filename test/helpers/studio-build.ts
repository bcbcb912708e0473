/**
 * The built studio app (dist/studio) for browser tests: built with Vite when it is missing or
 * older than any source file it bundles (the app and the core under src/), so a test never runs
 * a stale page.
 */
import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { root } from './cli.js';

export const studioDir = join(root, 'dist/studio');

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path));
    else if (/\.(ts|html)$/.test(entry.name) && !entry.name.endsWith('.test.ts')) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

/** Builds dist/studio when needed and returns its path. */
export async function ensureStudioBuilt(): Promise<string> {
  let built = 0;
  try {
    built = statSync(join(studioDir, 'index.html')).mtimeMs;
  } catch {
    // not built yet
  }
  if (built < newest(join(root, 'src'))) {
    await promisify(execFile)(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'src/studio/vite.config.ts'], { cwd: root });
  }
  return studioDir;
}
