/**
 * The small CSV reader of the data set files: quotes, doubled quotes, CRLF, a BOM, missing
 * columns as a one-line error.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseCsv, parseCsvRows } from '../../src/datasets/broden/csv.js';
import { isLucernaError } from '../../src/errors.js';

it('reads quoted fields, doubled quotes, CRLF and a BOM, and checks the header', () => {
  assert.deepEqual(parseCsvRows('a,"b,c"\r\n"say ""hi""",\n'), [
    ['a', 'b,c'],
    ['say "hi"', ''],
  ]);
  assert.deepEqual(parseCsv('\uFEFFimage,x\na.png,3\n\n', ['image', 'x'], 'landmarks.csv'), [{ image: 'a.png', x: '3' }]);
  assert.throws(
    () => parseCsv('image,x\n', ['image', 'x', 'y'], 'landmarks.csv'),
    (e) => isLucernaError(e, 'BAD_FILE') && e.message === 'landmarks.csv has no column "y"',
  );
});
