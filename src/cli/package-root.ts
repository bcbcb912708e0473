/**
 * Files of the Lucerna package found from any layout the code runs in: the sources (`src/…`), the
 * compiled files (`dist/…`) and the bundled CLI (`dist/bundle/…`), whose modules sit at different
 * depths below the package root.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The package root: the nearest folder above this module whose package.json names `lucerna`.
 *
 * @example `packageRoot(); // '/…/node_modules/lucerna'`
 */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'lucerna') return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('lucerna: cannot find the package root');
    dir = up;
  }
}

/**
 * A path inside the package. @example `packagePath('assets/images/coffee.png')`
 */
export function packagePath(relative: string): string {
  return join(packageRoot(), relative);
}

/** The package version. @example `packageVersion(); // '0.1.0'` */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
}
