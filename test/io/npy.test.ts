import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { isLucernaError } from '../../src/errors.js';
import { NPY_DTYPES, type NpyData, type NpyDtype, npyToFloat32, parseNpy, serializeNpy } from '../../src/io/npy.js';

const FIXTURES = new URL('../fixtures/npy/', import.meta.url);

interface Case {
  file: string;
  dtype?: string;
  shape?: number[];
  values?: (number | string | boolean)[];
  reject?: string;
}

const manifest = JSON.parse(readFileSync(new URL('expected.json', FIXTURES), 'utf8')) as { cases: Case[] };
const fixture = (file: string) => new Uint8Array(readFileSync(new URL(file, FIXTURES)));

function expectedNumber(v: number | string | boolean): number {
  if (v === 'nan') return Number.NaN;
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  return Number(v);
}

/** The values of any parsed array as plain numbers. */
const values = (data: NpyData) => Array.from(data as ArrayLike<number | bigint>, Number);

/** Asserts the error is BAD_FILE and its message mentions `words`. */
function badFile(words: RegExp) {
  return (e: unknown) => isLucernaError(e, 'BAD_FILE') && words.test(e.message) && !e.message.includes('\n');
}

/** A .npy file with a hand-written header dict, for any version. */
function handBuilt(dict: string, data: Uint8Array, major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const encoded = new TextEncoder().encode(dict);
  const total = Math.ceil((prefix + encoded.length + 1) / 64) * 64;
  const header = new Uint8Array(total).fill(0x20);
  header.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(header.buffer);
  if (major === 1) view.setUint16(8, total - prefix, true);
  else view.setUint32(8, total - prefix, true);
  header.set(encoded, prefix);
  header[total - 1] = 0x0a;
  const out = new Uint8Array(total + data.length);
  out.set(header);
  out.set(data, total);
  return out;
}

describe('parseNpy on files written by NumPy', () => {
  for (const c of manifest.cases.filter((k) => !k.reject)) {
    test(c.file, () => {
      const npy = parseNpy(fixture(c.file), c.file);
      assert.equal(npy.dtype, c.dtype);
      assert.deepEqual(npy.shape, c.shape);
      const values = c.values ?? [];
      assert.equal(npy.data.length, values.length);
      values.forEach((v, i) => {
        const got = npy.data[i] as number | bigint;
        if (typeof got === 'bigint') assert.equal(got, BigInt(v as string), `index ${i}`);
        else assert.ok(Object.is(got, expectedNumber(v)), `index ${i}: got ${got}, expected ${v}`);
      });
    });
  }

  test('every readable fixture converts to the same float32 values', () => {
    for (const c of manifest.cases.filter((k) => !k.reject)) {
      const t = npyToFloat32(fixture(c.file), c.file);
      assert.deepEqual(t.shape, c.shape);
      const expected = Float32Array.from((c.values ?? []).map(expectedNumber));
      assert.deepEqual(t.data, expected, c.file);
    }
  });

  for (const c of manifest.cases.filter((k) => k.reject)) {
    test(`${c.file} is rejected: ${c.reject}`, () => {
      const words = new RegExp(c.reject === 'float16' ? 'element type "<f2"' : (c.reject ?? ''), 'i');
      assert.throws(() => parseNpy(fixture(c.file), c.file), badFile(words));
      assert.throws(
        () => parseNpy(fixture(c.file), c.file),
        (e: unknown) => isLucernaError(e) && e.message.startsWith(c.file) && !!e.hint,
      );
    });
  }
});

describe('serializeNpy', () => {
  test('writes the exact bytes NumPy writes for v1.0 files', () => {
    for (const c of manifest.cases.filter((k) => !k.reject && !k.file.includes('_v'))) {
      const bytes = fixture(c.file);
      assert.deepEqual(serializeNpy(parseNpy(bytes)), bytes, c.file);
    }
  });

  test('round-trips every dtype', () => {
    const input = [0, 1, 0, 1, 1, 0];
    for (const dtype of NPY_DTYPES) {
      const bytes = serializeNpy({ data: input, shape: [2, 3] }, dtype);
      const back = parseNpy(bytes);
      assert.equal(back.dtype, dtype);
      assert.deepEqual(back.shape, [2, 3]);
      assert.deepEqual(values(back.data), input, dtype);
      assert.equal((bytes.length - back.data.byteLength) % 64, 0, 'data starts 64-byte aligned');
    }
  });

  test('a tensor becomes float32 and keeps NaN, -0 and infinities', () => {
    const data = Float32Array.of(Number.NaN, -0, Number.POSITIVE_INFINITY, -1.5);
    const back = parseNpy(serializeNpy({ data, shape: [1, 4] }));
    assert.equal(back.dtype, 'float32');
    assert.deepEqual(back.data, data);
    assert.ok(Object.is(back.data[1], -0));
  });

  test('infers the dtype from the typed array', () => {
    const cases: [ArrayLike<number> | BigInt64Array, NpyDtype][] = [
      [new Float64Array(2), 'float64'],
      [new Int32Array(2), 'int32'],
      [new Uint8Array(2), 'uint8'],
      [new BigInt64Array(2), 'int64'],
      [[0.5, 1], 'float64'],
    ];
    for (const [data, dtype] of cases) assert.equal(parseNpy(serializeNpy({ data: data as ArrayLike<number>, shape: [2] })).dtype, dtype);
  });

  test('keeps int64 values beyond 2^32 exactly', () => {
    const data = BigInt64Array.of(-(2n ** 40n), 2n ** 62n);
    assert.deepEqual(parseNpy(serializeNpy({ data, shape: [2] })).data, data);
    assert.deepEqual(parseNpy(serializeNpy({ data: [2 ** 40, -3], shape: [2] }, 'int64')).data, BigInt64Array.of(2n ** 40n, -3n));
  });

  test('scalars, empty arrays and 1-tuples', () => {
    assert.deepEqual(parseNpy(serializeNpy({ data: [7], shape: [] }, 'int32')).shape, []);
    assert.deepEqual(parseNpy(serializeNpy({ data: [], shape: [0, 5] }, 'float32')).shape, [0, 5]);
    const header = new TextDecoder('latin1').decode(serializeNpy({ data: [1, 2, 3], shape: [3] }, 'float32').subarray(10, 80));
    assert.match(header, /'shape': \(3,\)/);
  });

  test('switches to format 2.0 only when the header needs it', () => {
    const small = serializeNpy({ data: [1], shape: [1] }, 'uint8');
    assert.equal(small[6], 1);
    const manyDims = new Array<number>(22000).fill(1);
    const big = serializeNpy({ data: [5], shape: manyDims }, 'uint8');
    assert.equal(big[6], 2);
    const back = parseNpy(big);
    assert.equal(back.shape.length, 22000);
    assert.deepEqual(values(back.data), [5]);
  });

  test('refuses values that do not fit an integer dtype', () => {
    const badOption = (e: unknown) => isLucernaError(e, 'BAD_OPTION');
    assert.throws(() => serializeNpy({ data: [256], shape: [1] }, 'uint8'), badOption);
    assert.throws(() => serializeNpy({ data: [-1], shape: [1] }, 'uint32'), badOption);
    assert.throws(() => serializeNpy({ data: [0.5], shape: [1] }, 'int32'), badOption);
    assert.throws(() => serializeNpy({ data: [2], shape: [1] }, 'bool'), badOption);
    assert.throws(() => serializeNpy({ data: [2 ** 60], shape: [1] }, 'int64'), badOption);
    assert.throws(() => serializeNpy({ data: [1], shape: [1] }, 'float16' as NpyDtype), badOption);
  });

  test('refuses data that does not fit the shape', () => {
    assert.throws(
      () => serializeNpy({ data: [1, 2, 3], shape: [2, 2] }),
      (e: unknown) => isLucernaError(e, 'BAD_SHAPE'),
    );
    assert.throws(
      () => serializeNpy({ data: [1], shape: [-1] }),
      (e: unknown) => isLucernaError(e, 'BAD_SHAPE'),
    );
  });
});

describe('parseNpy on hand-built and damaged files', () => {
  const f4 = new Uint8Array(Float32Array.of(1.5, -2, 3.25).buffer);

  test('reads hand-built v2.0 and v3.0 headers', () => {
    for (const major of [2, 3]) {
      const npy = parseNpy(handBuilt("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f4, major));
      assert.deepEqual(values(npy.data), [1.5, -2, 3.25]);
    }
  });

  test('reads headers in any key order, with double quotes and a utf-8 v3.0 header', () => {
    const npy = parseNpy(handBuilt('{"shape": (1, 3), "fortran_order": False, "descr": "<f4", "note": "π"}', f4, 3));
    assert.deepEqual(npy.shape, [1, 3]);
  });

  test('accepts fortran_order for arrays with at most one dim above 1', () => {
    const npy = parseNpy(handBuilt("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 3, 1), }", f4));
    assert.deepEqual(values(npy.data), [1.5, -2, 3.25]);
  });

  test('reads data at an odd byte offset (a view into a larger buffer)', () => {
    const file = handBuilt("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f4);
    const padded = new Uint8Array(file.length + 1);
    padded.set(file, 1);
    assert.deepEqual(values(parseNpy(padded.subarray(1)).data), [1.5, -2, 3.25]);
  });

  test('errors', () => {
    const good = handBuilt("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f4);
    assert.throws(() => parseNpy(new TextEncoder().encode('PK\u0003\u0004 a zip file, not npy'), 'x.npz'), badFile(/^x\.npz is not a \.npy file/));
    assert.throws(() => parseNpy(new Uint8Array(0)), badFile(/not a \.npy file/));
    assert.throws(() => parseNpy(good.subarray(0, good.length - 1)), badFile(/truncated: shape \[3\] of float32 needs 12 data bytes, the file has 11/));
    assert.throws(() => parseNpy(good.subarray(0, 30)), badFile(/truncated inside its header/));
    const v4 = good.slice();
    v4[6] = 4;
    assert.throws(() => parseNpy(v4), badFile(/version 4\.0/));
    assert.throws(() => parseNpy(handBuilt("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)", f4)), badFile(/unreadable header/));
    assert.throws(() => parseNpy(handBuilt("{'descr': '<f4', 'shape': (3,), }", f4)), badFile(/fortran_order/));
    assert.throws(() => parseNpy(handBuilt("{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }", f4)), badFile(/shape/));
    assert.throws(() => parseNpy(handBuilt("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", f4)), badFile(/element type "<c8"/));
    assert.throws(() => parseNpy(handBuilt("{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }", f4)), badFile(/big-endian/));
    assert.throws(() => parseNpy(handBuilt("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", f4)), badFile(/object array/));
  });

  test('big-endian single bytes are fine', () => {
    const npy = parseNpy(handBuilt("{'descr': '>u1', 'fortran_order': False, 'shape': (2,), }", Uint8Array.of(7, 9)));
    assert.deepEqual(values(npy.data), [7, 9]);
  });
});

describe('parseNpy on Node Buffers', () => {
  test("a pooled Buffer (a view into shared memory) gives its own values, not the pool's", () => {
    const bytes = serializeNpy({ data: new Float32Array([1.5, -2, 3.25]), shape: [3] });
    // Buffer.from copies small arrays into Node's shared pool, at a non-zero offset.
    const pooled = Buffer.concat([Buffer.from([9, 9, 9]), Buffer.from(bytes)]).subarray(3);
    assert.notEqual(pooled.byteOffset, 0);
    assert.deepEqual(Array.from(parseNpy(pooled).data as Float32Array), [1.5, -2, 3.25]);
    assert.deepEqual(Array.from(npyToFloat32(pooled).data), [1.5, -2, 3.25]);
  });
});
