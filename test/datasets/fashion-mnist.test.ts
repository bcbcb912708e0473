/**
 * Fashion-MNIST from the Debian package's IDX files, and the IDX parser on hand-made bytes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIdx } from '../../src/datasets/idx.js';
import { fashionMnist } from '../../src/datasets/node/fashion-mnist.js';
import { LucernaError } from '../../src/errors.js';

describe('IDX files', () => {
  it('parses a big-endian header and unsigned bytes', () => {
    const bytes = new Uint8Array([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]);
    const a = parseIdx(bytes, 'x.idx');
    assert.deepEqual(a.shape, [2, 3]);
    assert.deepEqual([...a.data], [1, 2, 3, 4, 5, 6]);
  });
  it('rejects other element types and truncated files', () => {
    assert.throws(() => parseIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]), 'f.idx'), /element type 0xd is not unsigned byte/);
    assert.throws(() => parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 9, 1]), 't.idx'), /truncated: 1 of 9 values/);
  });
});

describe('Fashion-MNIST', () => {
  it('says how to install the package when it is missing', async () => {
    await assert.rejects(fashionMnist('train', '/nonexistent/fashion-mnist'), (e: unknown) => {
      assert.ok(e instanceof LucernaError);
      assert.match(e.oneLine(), /^Fashion-MNIST is not installed .*Install it with: sudo apt-get install dataset-fashion-mnist$/);
      return true;
    });
  });
  it('reads the installed test split (CI installs dataset-fashion-mnist): 10 000 grey 28×28 images in [0, 1], labels 0–9', async () => {
    const d = await fashionMnist('test');
    assert.equal(d.size, 10_000);
    assert.deepEqual(d.sampleShape, [1, 28, 28]);
    const labels = await d.labels();
    assert.equal(Math.max(...labels), 9);
    assert.equal(Math.min(...labels), 0);
    const b = await d.read([0, 9999], 0);
    assert.deepEqual(b.x.shape, [2, 1, 28, 28]);
    assert.ok(b.x.data.every((v) => v >= 0 && v <= 1));
    assert.ok(b.x.data.some((v) => v > 0.5));
  });
});
