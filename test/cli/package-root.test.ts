/** Package files are found from the sources (and, by the same walk, from dist/ and dist/bundle/). */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packagePath, packageRoot, packageVersion } from '../../src/cli/package-root.js';
import { root } from '../helpers/cli.js';

describe('package root', () => {
  it('is the folder whose package.json names lucerna', () => {
    assert.equal(packageRoot(), root.replace(/\/$/, ''));
    assert.equal(packageVersion(), JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    assert.ok(existsSync(packagePath('assets/images/coffee.png')));
  });
});
