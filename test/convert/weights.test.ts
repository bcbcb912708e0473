import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeWeights, halfToFloat, WeightStore } from '../../src/convert/weights.js';
import { isLucernaError } from '../../src/errors.js';

function bytes(...parts: ArrayBufferView[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    at += p.byteLength;
  }
  return out;
}

describe('decodeWeights', () => {
  test('reads float32, uint8 {scale, min}, uint16 and float16 weights across groups in manifest order', () => {
    const data = bytes(new Float32Array([1.5, -2]), new Uint8Array([0, 10, 255]), new Uint16Array([0, 1000]), new Uint16Array([0x3c00, 0xc000, 0x3555]));
    const weights = decodeWeights(
      [
        {
          paths: ['a.bin'],
          weights: [
            { name: 'l/kernel', shape: [2], dtype: 'float32' },
            { name: 'l/bias', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
          ],
        },
        {
          paths: ['b.bin'],
          weights: [
            { name: 'm/kernel', shape: [1, 2], dtype: 'float32', quantization: { dtype: 'uint16', scale: 0.001, min: 2 } },
            { name: 'm/bias', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } },
          ],
        },
      ],
      data,
    );
    assert.deepEqual([...(weights.get('l/kernel')?.values ?? [])], [1.5, -2]);
    assert.deepEqual([...(weights.get('l/bias')?.values ?? [])], [-1, 4, 126.5]);
    const m = weights.get('m/kernel');
    assert.deepEqual(m?.shape, [1, 2]);
    assert.ok(Math.abs((m?.values[1] as number) - 3) < 1e-6);
    const half = [...(weights.get('m/bias')?.values ?? [])];
    assert.deepEqual(half.slice(0, 2), [1, -2]);
    assert.ok(Math.abs((half[2] as number) - 1 / 3) < 1e-3);
  });

  test('a {scale, original_dtype} quantisation has min 0', () => {
    const weights = decodeWeights(
      [{ paths: ['a'], weights: [{ name: 'w', shape: [2], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.25, original_dtype: 'float32' } }] }],
      new Uint8Array([4, 9]),
    );
    assert.deepEqual([...(weights.get('w')?.values ?? [])], [1, 2.25]);
  });

  test('too few bytes is a BAD_FILE error naming the weight', () => {
    assert.throws(
      () => decodeWeights([{ paths: ['a'], weights: [{ name: 'conv/kernel', shape: [4], dtype: 'float32' }] }], new Uint8Array(12)),
      (e) => isLucernaError(e, 'BAD_FILE') && e.message.includes('conv/kernel') && e.message.includes('12 bytes'),
    );
  });

  test('halfToFloat decodes subnormals, infinities and NaN', () => {
    assert.equal(halfToFloat(0x0001), 2 ** -24);
    assert.equal(halfToFloat(0x7c00), Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(halfToFloat(0x7e00)));
    assert.equal(halfToFloat(0x7bff), 65504);
  });

  test('WeightStore finds names with a :0 suffix or an outer scope', () => {
    const w = { values: new Float32Array([1]), shape: [1] };
    const store = new WeightStore(
      new Map([
        ['model/conv/kernel:0', w],
        ['dense/bias', w],
      ]),
    );
    assert.equal(store.find('conv', 'kernel'), w);
    assert.equal(store.find('dense', 'bias'), w);
    assert.throws(
      () => store.get('dense', 'kernel'),
      (e) => isLucernaError(e, 'BAD_FILE') && e.message.includes('dense/kernel'),
    );
  });
});
