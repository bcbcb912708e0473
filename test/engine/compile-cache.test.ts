/**
 * The compile cache: a second compile of the same model and plan opens the stored graph (one
 * session, no shape probes) and computes the same gradients; a changed model or plan misses; a
 * corrupt entry is detected, rebuilt and reported once; the folder keeps to its size cap; custom
 * rule sets are never cached. Every test uses its own temporary cache folder.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { standardRules } from '../../src/compiler/rulesets/index.js';
import { compileKey, decodeNames, encodeNames } from '../../src/engine/compile-cache.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { diskCompileStore, packEntry, unpackEntry, withCompileCache } from '../../src/engine/node-cache.js';
import { isOrtFormat } from '../../src/engine/ort-adapter.js';
import type { CompileStore, Runtime } from '../../src/engine/runtime.js';
import { crc32 } from '../../src/io/bytes-node.js';
import { userCacheDir } from '../../src/io/cache-dir.js';
import { fileIdentity, loadModelFile } from '../../src/io/files.js';
import { buildModel } from '../../src/onnx/builder.js';
import { encodedModelCount } from '../../src/onnx/proto.js';
import { seededRandom } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/compare.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lucerna-compile-cache-'));
  dirs.push(d);
  return d;
}

/** conv 3×3 → ReLU → global average pool → linear head with 3 classes; weights from a seed. */
function tinyCnn(seed: number): Uint8Array {
  const next = seededRandom(seed);
  const rand = (n: number) => Float32Array.from({ length: n }, () => 0.5 * (2 * next() - 1));
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', 2, 6, 6] }],
    outputs: ['logits'],
    build: (b) => {
      const conv = b.op(
        'Conv',
        ['x', b.constFloat(rand(4 * 2 * 9), [4, 2, 3, 3], 'w'), b.constFloat(rand(4), [4], 'b')],
        { pads: [1, 1, 1, 1] },
        { outputs: ['conv'] },
      );
      const relu = b.op('Relu', [conv], {}, { outputs: ['relu'] });
      const gap = b.op('Flatten', [b.op('GlobalAveragePool', [relu])], { axis: 1 });
      b.op('Gemm', [gap, b.constFloat(rand(4 * 3), [4, 3], 'fc'), b.constFloat(rand(3), [3], 'fcb')], {}, { outputs: ['logits'] });
    },
  });
}

/** A runtime over `store` that counts the sessions it opens. */
function counting(store: CompileStore): Runtime & { sessions: number } {
  const base = withCompileCache(nodeRuntime, store);
  const runtime = {
    ...base,
    sessions: 0,
    createSession(bytes: Uint8Array, options?: Parameters<Runtime['createSession']>[1]) {
      runtime.sessions++;
      return base.createSession(bytes, options);
    },
  };
  return runtime;
}

/** A store that records its puts (of a built graph, or of the graph ORT optimised). */
function recording(dir: string, options: { warn?: (m: string) => void; maxBytes?: number } = {}): CompileStore & { puts: number } {
  const inner = diskCompileStore({ dir, tag: 'test', ...options });
  const store = {
    tag: inner.tag,
    digest: inner.digest,
    get: inner.get,
    puts: 0,
    put(key: string, entry: Parameters<CompileStore['put']>[1]) {
      store.puts++;
      return inner.put(key, entry);
    },
    reserve: inner.reserve,
    async adopt(key: string, meta: string, path: string) {
      const adopted = (await inner.adopt?.(key, meta, path)) ?? false;
      if (adopted) store.puts++;
      return adopted;
    },
  };
  return store;
}

const x: Tensor = { data: Float32Array.from({ length: 72 }, (_, i) => Math.sin(i)), shape: [1, 2, 6, 6] };
const seed: Tensor = { data: Float32Array.from([0, 1, 0]), shape: [1, 3] };
const plan = { seeds: ['logits'], read: ['relu'] };

async function gradients(bytes: Uint8Array, runtime: Runtime, p: { seeds: string[]; read: string[]; rules?: string | typeof standardRules } = plan) {
  await using model = await Model.load(bytes, { runtime });
  const compiled = await model.compile(p, x.shape);
  assert.deepEqual(compiled.shapeOf('relu'), [1, 4, 6, 6]);
  return await compiled.run({ input: x, seeds: { logits: seed } });
}

describe('compile cache', () => {
  test('a second run with the same model and plan opens the stored graph and gives the same gradients', async () => {
    const dir = await tempDir();
    const bytes = tinyCnn(1);
    const reference = await gradients(bytes, nodeRuntime);
    const store = recording(dir);
    const first = counting(store);
    const cold = await gradients(bytes, first);
    assert.equal(store.puts, 1);
    assert.ok(first.sessions > 1, 'a miss probes shapes before opening the plan');
    const second = counting(store);
    const warm = await gradients(bytes, second);
    assert.equal(store.puts, 1, 'no second store');
    assert.equal(second.sessions, 1, 'a hit opens one session and probes nothing');
    for (const r of [cold, warm]) {
      assertClose(r.gradients.x as Tensor, reference.gradients.x as Tensor, 1e-5, 'input gradient');
      assertClose(r.activations.relu as Tensor, reference.activations.relu as Tensor, 1e-5, 'read activation');
    }
    assert.equal((await readdir(dir)).filter((f) => f.endsWith('.lcc')).length, 1);
  });

  test('a plan is serialised once: again for nothing in the same model, and not at all on a cache hit', async () => {
    const store = recording(await tempDir());
    const bytes = tinyCnn(11);
    {
      await using model = await Model.load(bytes, { runtime: counting(store) });
      await model.prepare(x.shape);
      const before = encodedModelCount();
      await model.compile(plan, x.shape);
      assert.equal(encodedModelCount() - before, 1, 'the new plan is encoded once');
      await model.compile(plan, x.shape);
      assert.equal(encodedModelCount() - before, 1, 'compiling it again encodes nothing');
    }
    await using again = await Model.load(bytes, { runtime: counting(store) });
    const before = encodedModelCount();
    await again.compile(plan, x.shape);
    assert.equal(encodedModelCount(), before, 'a cache hit in a new model encodes nothing (no probes either)');
  });

  test('the stored graph is ORT format, opened in place; argmax plans (seeded in the graph) hit too', async () => {
    const dir = await tempDir();
    const store = recording(dir);
    const bytes = tinyCnn(7);
    const argmaxPlan = { seeds: ['logits'], read: ['relu'], seedMode: 'argmax' as const };
    const run = async (runtime: Runtime) => {
      await using model = await Model.load(bytes, { runtime });
      return await (await model.compile(argmaxPlan, x.shape)).run({ input: x });
    };
    const reference = await run(nodeRuntime);
    const cold = await run(counting(store));
    const second = counting(store);
    const warm = await run(second);
    assert.equal(store.puts + (await readdir(dir)).length, 1 + 1, 'one entry, stored once');
    assert.equal(second.sessions, 1, 'an argmax plan opens the stored graph');
    for (const r of [cold, warm]) assertClose(r.gradients.x as Tensor, reference.gradients.x as Tensor, 1e-5, 'argmax gradient');
    const [file] = await readdir(dir);
    const key = compileKey(store.tag, {
      modelDigest: store.digest(bytes),
      seeds: ['logits'],
      wrt: ['x'],
      read: ['relu'],
      rules: 'standard',
      seedMode: 'argmax',
      inputShape: x.shape,
      optimization: 'all',
    });
    const entry = unpackEntry(key, await readFile(join(dir, file as string)));
    assert.ok(entry, 'the key matches');
    assert.ok(isOrtFormat(entry.model), 'the entry holds the graph as ORT optimised it');
  });

  test('a model file is named by its identity, not a hash of all its bytes; rewriting it misses', async () => {
    const dir = await tempDir();
    const store = recording(await tempDir());
    const path = join(dir, 'tiny.onnx');
    await writeFile(path, tinyCnn(8));
    const fromFile = async (runtime: Runtime) => {
      await using model = await loadModelFile(path, { runtime });
      return await (await model.compile(plan, x.shape)).run({ input: x, seeds: { logits: seed } });
    };
    const digestCalls = { n: 0 };
    const counted: CompileStore = {
      ...store,
      digest: (b) => {
        digestCalls.n++;
        return store.digest(b);
      },
    };
    await fromFile(counting(counted));
    const hit = counting(counted);
    await fromFile(hit);
    assert.equal(hit.sessions, 1, 'the same file hits');
    assert.equal(digestCalls.n, 0, 'no whole-model digest');
    const other = tinyCnn(9);
    assert.equal(other.length, tinyCnn(8).length, 'same size, other weights');
    await writeFile(path, other);
    const rewritten = counting(counted);
    const r = await fromFile(rewritten);
    assert.ok(rewritten.sessions > 1, 'a rewritten file misses');
    assertClose(r.gradients.x as Tensor, (await gradients(other, nodeRuntime)).gradients.x as Tensor, 1e-5, 'the new weights');
    const stat = { dev: 1n, ino: 2n, size: 3n, mtimeNs: 4n, ctimeNs: 5n };
    const bytes = new Uint8Array([1, 2, 3]);
    assert.ok(fileIdentity(stat, stat, bytes));
    assert.equal(fileIdentity(stat, { ...stat, mtimeNs: 6n }, bytes), undefined, 'changed while read');
    assert.notEqual(fileIdentity(stat, stat, bytes), fileIdentity(stat, stat, new Uint8Array([1, 2, 4])), 'sampled bytes count');
  });

  test('a changed model or plan misses the cache', async () => {
    const store = recording(await tempDir());
    await gradients(tinyCnn(1), counting(store));
    await gradients(tinyCnn(2), counting(store));
    assert.equal(store.puts, 2, 'other weights');
    await gradients(tinyCnn(1), counting(store), { seeds: ['logits'], read: ['conv', 'relu'] });
    assert.equal(store.puts, 3, 'another read');
    await gradients(tinyCnn(1), counting(store), { ...plan, rules: 'guided' });
    assert.equal(store.puts, 4, 'another rule set');
    const again = counting(store);
    await gradients(tinyCnn(2), again);
    assert.equal(store.puts, 4);
    assert.equal(again.sessions, 1);
  });

  test('a plan with a second backward pass (also) is stored whole: a hit returns both passes; its key differs from the one-pass plan', async () => {
    const store = recording(await tempDir());
    const bytes = tinyCnn(3);
    const both = { seeds: ['logits'], wrt: ['relu'], read: ['relu'], also: [{ rules: 'guided', wrt: ['x'] }] };
    const run = async (runtime: Runtime, p: typeof both | typeof plan) => {
      await using model = await Model.load(bytes, { runtime });
      return await (await model.compile(p, x.shape)).run({ input: x, seeds: { logits: seed } });
    };
    const standardAtRelu = await run(nodeRuntime, { seeds: ['logits'], wrt: ['relu'], read: ['relu'] } as typeof both);
    const guidedAtInput = await run(nodeRuntime, { ...plan, rules: 'guided' } as typeof plan);
    await run(counting(store), plan);
    await run(counting(store), both);
    assert.equal(store.puts, 2, 'the two-pass plan has its own entry');
    const hit = counting(store);
    const warm = await run(hit, both);
    assert.equal(hit.sessions, 1, 'a hit opens the stored two-pass graph');
    assertClose(warm.gradients.relu as Tensor, standardAtRelu.gradients.relu as Tensor, 1e-5, 'first pass');
    assertClose(warm.branches[0]?.x as Tensor, guidedAtInput.gradients.x as Tensor, 1e-5, 'second pass');
    const names = { seeds: new Map([['logits', 'seed:logits']]), gradients: new Map([['relu', 'grad:relu']]), reads: new Map(), shapes: new Map() };
    const meta = encodeNames({ ...names, branches: [new Map([['x', 'grad:b1:x']])] });
    assert.ok(decodeNames(meta, { seeds: ['logits'], wrt: ['relu'], read: [], also: [['x']] }), 'meta names both passes');
    assert.equal(
      decodeNames(encodeNames(names), { seeds: ['logits'], wrt: ['relu'], read: [], also: [['x']] }),
      undefined,
      'an entry without the second pass is stale',
    );
  });

  test('a corrupt entry is detected, rebuilt and reported once', async () => {
    const dir = await tempDir();
    const warnings: string[] = [];
    const store = recording(dir, { warn: (m) => warnings.push(m) });
    const bytes = tinyCnn(3);
    const reference = await gradients(bytes, counting(store));
    const [file] = (await readdir(dir)).filter((f) => f.endsWith('.lcc'));
    const path = join(dir, file as string);
    const damaged = new Uint8Array(await readFile(path));
    damaged[damaged.length - 10] = (damaged[damaged.length - 10] as number) ^ 0xff;
    await writeFile(path, damaged);
    const rebuilt = await gradients(bytes, counting(store));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /corrupt; it is rebuilt/);
    assert.equal(store.puts, 2, 'rebuilt and stored again');
    assertClose(rebuilt.gradients.x as Tensor, reference.gradients.x as Tensor, 1e-5, 'rebuilt gradient');
    const hit = counting(store);
    await gradients(bytes, hit);
    assert.equal(hit.sessions, 1, 'the rebuilt entry is whole');
    await writeFile(path, damaged.subarray(0, 100));
    await gradients(bytes, counting(store));
    assert.equal(warnings.length, 1, 'the same entry is reported once per process');
  });

  test('custom rule sets are not cached; the folder keeps to its size cap', async () => {
    const dir = await tempDir();
    const custom = { ...standardRules, name: 'standard' };
    const store = recording(dir, { maxBytes: 1 });
    await gradients(tinyCnn(4), counting(store), { ...plan, rules: custom });
    assert.equal(store.puts, 0);
    await gradients(tinyCnn(4), counting(store));
    await gradients(tinyCnn(5), counting(store));
    assert.equal(store.puts, 2);
    assert.deepEqual(await readdir(dir), [], 'entries over the cap are evicted, oldest first, and no temporary file stays');
  });

  test('concurrent writers of one key leave one whole entry', async () => {
    const dir = await tempDir();
    const stores = [0, 1, 2].map(() => diskCompileStore({ dir, tag: 'test' }));
    await Promise.all(stores.map((s) => gradients(tinyCnn(6), withCompileCache(nodeRuntime, s))));
    assert.equal((await readdir(dir)).length, 1);
    const hit = counting(stores[0] as CompileStore);
    await gradients(tinyCnn(6), hit);
    assert.equal(hit.sessions, 1);
  });

  test('entries: the checksum covers key, meta and model; meta must name the whole plan', () => {
    const entry = {
      meta: encodeNames({ seeds: new Map([['y', 's']]), gradients: new Map([['x', 'g']]), reads: new Map(), shapes: new Map([['y', [1, 3]]]) }),
      model: new Uint8Array([1, 2, 3]),
    };
    const packed = packEntry('k', entry);
    assert.deepEqual(unpackEntry('k', packed), entry);
    assert.equal(unpackEntry('other key', packed), undefined);
    assert.equal(unpackEntry('k', packed.subarray(0, packed.length - 1)), undefined);
    assert.ok(decodeNames(entry.meta, { seeds: ['y'], wrt: ['x'], read: [] }));
    assert.equal(decodeNames(entry.meta, { seeds: ['y'], wrt: ['x'], read: ['z'] }), undefined);
    assert.equal(decodeNames('{"seeds":1}', { seeds: [], wrt: [], read: [] }), undefined);
    const parts = {
      modelDigest: 'd',
      seeds: ['y'],
      wrt: ['x'],
      read: [],
      rules: 'standard',
      seedMode: 'input',
      inputShape: [1, 3],
      optimization: 'all' as const,
    };
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
    assert.equal(crc32(new TextEncoder().encode('56789'), crc32(new TextEncoder().encode('1234'))), 0xcbf43926, 'continued');
    assert.equal(decodeNames(entry.meta, { seeds: ['logits'], wrt: ['x'], read: [] }), undefined, 'an input plan needs its seed inputs');
    const argmaxMeta = encodeNames({ seeds: new Map(), gradients: new Map([['x', 'g']]), reads: new Map(), shapes: new Map() });
    assert.ok(decodeNames(argmaxMeta, { seeds: ['logits'], wrt: ['x'], read: [], seedMode: 'argmax' }), 'an argmax plan has none');
    assert.notEqual(compileKey('t', parts), compileKey('t', { ...parts, inputShape: [2, 3] }));
    assert.notEqual(compileKey('t', parts), compileKey('u', parts));
  });

  test('the cache folder follows XDG', () => {
    assert.equal(userCacheDir({ XDG_CACHE_HOME: '/x/cache' }), '/x/cache/lucerna');
    assert.equal(userCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/h' }).endsWith('/.cache/lucerna'), true);
    assert.equal(userCacheDir({ LUCERNA_CACHE_DIR: '/mine', XDG_CACHE_HOME: '/x' }), '/mine');
  });
});
