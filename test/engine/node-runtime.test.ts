/**
 * The Node runtime adapter's user-facing switches: the execution providers named in
 * LUCERNA_EXECUTION_PROVIDERS (CPU always last; a bad name fails with one clear line), and the
 * `lucerna --version` fast path of bin/lucerna.js.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { executionProviders } from '../../src/engine/node.js';
import { isLucernaError } from '../../src/errors.js';
import { bin, root } from '../helpers/cli.js';

describe('node runtime', () => {
  test('execution providers: CPU by default and always last', () => {
    assert.deepEqual(executionProviders({}), ['cpu']);
    assert.deepEqual(executionProviders({ LUCERNA_EXECUTION_PROVIDERS: ' CUDA , tensorrt' }), ['cuda', 'tensorrt', 'cpu']);
    assert.deepEqual(executionProviders({ LUCERNA_EXECUTION_PROVIDERS: 'cpu,cuda' }), ['cpu', 'cuda']);
  });

  test('an unknown execution provider is a one-line BAD_OPTION error', () => {
    assert.throws(
      () => executionProviders({ LUCERNA_EXECUTION_PROVIDERS: 'cuda,gpu' }),
      (e) => isLucernaError(e) && e.code === 'BAD_OPTION' && /"gpu"/.test(e.message) && /cuda, tensorrt/.test(e.hint ?? ''),
    );
  });

  test('lucerna --version answers from package.json', async () => {
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    const stdout = await new Promise<string>((done, fail) =>
      execFile(process.execPath, [bin, '--version'], { cwd: root }, (error, out) => (error ? fail(error) : done(out))),
    );
    assert.equal(stdout, `${version}\n`);
  });
});
