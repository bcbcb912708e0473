import assert from 'node:assert/strict';
import { it } from 'node:test';
import { int64Tensor, readInts } from '../../src/onnx/tensors.js';

it('int64 constants saturate instead of wrapping: 2^63 stays the largest int64', () => {
  const t = int64Tensor('ends', [2 ** 63, -(2 ** 64), 5, -3]);
  const dv = new DataView((t.rawData as Uint8Array).buffer);
  assert.equal(dv.getBigInt64(0, true), (BigInt(1) << BigInt(63)) - BigInt(1));
  assert.equal(dv.getBigInt64(8, true), -(BigInt(1) << BigInt(63)));
  assert.deepEqual(readInts(t).slice(2), [5, -3]);
});
