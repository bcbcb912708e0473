import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { filterPartNames } from '../../src/cli/commands/tree-parts.js';
import { imageFolder } from '../../src/datasets/node/image-folder.js';
import { readError } from '../../src/io/read-error.js';

const dir = await mkdtemp(join(tmpdir(), 'lucerna-read-error-'));
after(() => rm(dir, { recursive: true, force: true }));

describe('readError (the one failed-read validator)', () => {
  it('is FILE_NOT_FOUND for a missing path and BAD_FILE otherwise, in one line with the errno code', async () => {
    const missing = join(dir, 'gone.txt');
    const e1 = readError(await readFile(missing).catch((e) => e), `the list ${missing}`, 'Check the path');
    assert.equal(e1.code, 'FILE_NOT_FOUND');
    assert.equal(e1.oneLine(), `Cannot read the list ${missing} (ENOENT). Check the path`);
    const e2 = readError(await readFile(dir).catch((e) => e), dir);
    assert.equal(e2.code, 'BAD_FILE');
    assert.equal(e2.message, `Cannot read ${dir} (EISDIR)`);
    assert.equal(readError(new Error('boom'), 'x').message, 'Cannot read x (boom)');
  });

  it('is what the readers that share it throw', async () => {
    const parts = join(dir, 'parts.csv');
    await assert.rejects(filterPartNames(parts, 4), { code: 'FILE_NOT_FOUND', message: `Cannot read the --parts file ${parts} (ENOENT)` });
    const folder = join(dir, 'no-folder');
    await assert.rejects(imageFolder(folder, { sampleShape: [3, 8, 8] }), {
      code: 'FILE_NOT_FOUND',
      message: `Cannot read the image folder ${folder} (ENOENT)`,
    });
  });
});
