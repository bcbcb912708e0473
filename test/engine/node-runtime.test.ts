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
import { envThreads, executionProviders, physicalCores } from '../../src/engine/node.js';
import { isLucernaError } from '../../src/errors.js';
import { bin, root } from '../helpers/cli.js';

describe('node runtime', () => {
  test('execution providers: CPU by default and always last', () => {
    assert.deepEqual(executionProviders({}), ['cpu']);
    assert.deepEqual(executionProviders({ LUCERNA_EXECUTION_PROVIDERS: ' CUDA , tensorrt' }), ['cuda', 'tensorrt', 'cpu']);
    assert.deepEqual(executionProviders({ LUCERNA_EXECUTION_PROVIDERS: 'cpu,cuda' }), ['cpu', 'cuda']);
  });

  test('default threads: distinct physical cores of /proc/cpuinfo, capped by the usable CPUs', () => {
    const block = (cpu: number, pkg: number, core: number) => `processor\t: ${cpu}\nphysical id\t: ${pkg}\ncore id\t\t: ${core}\nflags\t\t: fpu`;
    const smt = [block(0, 0, 0), block(1, 0, 1), block(2, 0, 0), block(3, 0, 1)].join('\n\n');
    assert.equal(physicalCores(smt, 4), 2, 'two hyper-threads per core count once');
    const twoSockets = [block(0, 0, 0), block(1, 1, 0)].join('\n\n');
    assert.equal(physicalCores(twoSockets, 2), 2, 'core 0 of each package is a core');
    assert.equal(physicalCores(smt, 1), 1, 'an affinity mask of one CPU caps it');
    assert.equal(physicalCores('processor\t: 0\nflags\t: fpu\n', 8), undefined, 'no core ids: ORT chooses');
  });

  test('LUCERNA_THREADS overrides the default; a bad value is a one-line BAD_OPTION error', () => {
    assert.equal(envThreads({}), undefined);
    assert.equal(envThreads({ LUCERNA_THREADS: ' 3 ' }), 3);
    for (const bad of ['0', '-2', '1.5', 'two']) {
      assert.throws(
        () => envThreads({ LUCERNA_THREADS: bad }),
        (e) => isLucernaError(e) && e.code === 'BAD_OPTION' && e.message.includes(`"${bad}"`),
      );
    }
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
