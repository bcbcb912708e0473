/**
 * `lucerna serve` in-process: started on port 0 and called with Node's fetch. Proves the schema
 * (400), the roots (403 for outside paths, `../` and a symlink out), the body cap (413), that
 * concurrent answers equal sequential ones, that a warm model creates no new session, that the LRU
 * disposes what it evicts, and that the default bind is loopback.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serializeNpy } from '../../src/io/npy.js';
import { type RunningServer, startServer } from '../../src/serve/server.js';
import { oracleDir } from '../helpers/oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-serve-'));
const root = join(dir, 'root');
const outside = join(dir, 'outside');
mkdirSync(root);
mkdirSync(outside);
const tiny = join(oracleDir, 'tiny_cnn/model.onnx');
copyFileSync(tiny, join(root, 'cnn.onnx'));
copyFileSync(tiny, join(root, 'cnn2.onnx'));
copyFileSync(tiny, join(outside, 'cnn.onnx'));
symlinkSync(join(outside, 'cnn.onnx'), join(root, 'link.onnx'));

/** A deterministic [1, 3, 32, 32] input, shifted by `k`. */
function npyInput(k: number): string {
  const data = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.37 + k) * 0.5);
  return Buffer.from(serializeNpy({ data, shape: [1, 3, 32, 32] })).toString('base64');
}

let server: RunningServer;
before(async () => {
  server = await startServer({ roots: [root], port: 0, maxBodyBytes: 64 * 1024 });
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The fields of an answer these tests read. */
interface Answer {
  readonly targets: number[];
  readonly scores: number[];
  readonly shape: number[];
  readonly encoding: string;
  readonly attribution: unknown;
  readonly error: { readonly code: string; readonly message: string };
}

async function post(body: unknown, url = server.url): Promise<{ status: number; json: Answer }> {
  const response = await fetch(`${url}/v1/attribute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Answer };
}

function request(extra: Record<string, unknown> = {}) {
  return { model: 'cnn.onnx', input: { npy: npyInput(0) }, method: 'saliency', ...extra };
}

describe('lucerna serve', () => {
  it('binds to loopback by default and answers /v1/health and /v1/methods', async () => {
    assert.equal(server.host, '127.0.0.1');
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = (await (await fetch(`${server.url}/v1/health`)).json()) as Record<string, unknown>;
    assert.equal(health.ok, true);
    const { methods } = (await (await fetch(`${server.url}/v1/methods`)).json()) as { methods: { name: string; options: { name: string }[] }[] };
    const ig = methods.find((m) => m.name === 'integrated-gradients');
    assert.ok(ig?.options.some((o) => o.name === 'steps'));
  });

  it('answers an attribution with base64 float32 and nested arrays that agree', async () => {
    const a = await post(request({ target: 3 }));
    assert.equal(a.status, 200, JSON.stringify(a.json));
    assert.deepEqual(a.json.targets, [3]);
    assert.deepEqual(a.json.shape, [1, 3, 32, 32]);
    assert.equal(a.json.encoding, 'base64');
    const bytes = Buffer.from(a.json.attribution as string, 'base64');
    const flat = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    assert.equal(flat.length, 3 * 32 * 32);
    assert.ok(flat.some((v) => v !== 0));
    const b = await post(request({ target: 3, encoding: 'nested' }));
    assert.deepEqual((b.json.attribution as number[][][][]).flat(3), [...flat]);
  });

  it('refuses bad requests with 400 and a one-line message', async () => {
    const cases: [unknown, RegExp][] = [
      ['{not json', /not valid JSON/],
      [[1, 2], /must be a JSON object/],
      [request({ colour: 'red' }), /unknown field "colour"/],
      [{ input: { npy: npyInput(0) }, method: 'saliency' }, /missing field "model"/],
      [request({ model: 3 }), /"model" must be a non-empty string, got a number/],
      [request({ target: -1 }), /"target" must be a class index/],
      [request({ input: { path: 'x.npy', npy: 'AA==' } }), /exactly one of/],
      [request({ method: 'salency' }), /Unknown method "salency"/],
      [request({ options: { steps: 4 } }), /option "steps" does not apply to saliency/],
      [request({ method: 'integrated-gradients', options: { steps: 'many' } }), /--steps/],
      [request({ options: { batchSize: 0 } }), /batchSize/],
      [request({ encoding: 'hex' }), /"encoding" must be one of base64, nested/],
    ];
    for (const [body, pattern] of cases) {
      const { status, json } = await post(body);
      assert.equal(status, 400, JSON.stringify(json));
      assert.match(json.error.message, pattern);
      assert.ok(!json.error.message.includes('\n'));
      assert.equal(json.error.code, 'BAD_OPTION');
    }
  });

  it('refuses models and inputs outside the roots with 403 (absolute, ../ and a symlink out)', async () => {
    for (const model of [join(outside, 'cnn.onnx'), '../outside/cnn.onnx', 'link.onnx', '/etc/passwd']) {
      const { status, json } = await post(request({ model }));
      assert.equal(status, 403, model);
      assert.equal(json.error.code, 'FORBIDDEN_PATH');
      assert.match(json.error.message, /outside the folders/);
    }
    const input = await post(request({ input: { path: '../outside/cnn.onnx' } }));
    assert.equal(input.status, 403);
    const missing = await post(request({ model: 'missing.onnx' }));
    assert.equal(missing.status, 404);
    const missingOutside = await post(request({ model: '../outside/missing.onnx' }));
    assert.equal(missingOutside.status, 403);
  });

  it('refuses a body above the cap with 413', async () => {
    const { status, json } = await post(request({ input: { npy: 'A'.repeat(80 * 1024) } }));
    assert.equal(status, 413);
    assert.equal(json.error.code, 'BODY_TOO_LARGE');
  });

  it('gives concurrent requests the same answers as sequential ones', async () => {
    const bodies = [
      request({ target: 1 }),
      request({ method: 'grad-cam', input: { npy: npyInput(1) } }),
      request({ method: 'integrated-gradients', options: { steps: 4, batchSize: 2 }, input: { npy: npyInput(2) }, target: 5 }),
      request({ target: 7, input: { npy: npyInput(3) } }),
    ];
    const sequential = [];
    for (const body of bodies) sequential.push(await post(body));
    const concurrent = await Promise.all(bodies.map((body) => post(body)));
    for (let i = 0; i < bodies.length; i++) {
      assert.equal(concurrent[i]?.status, 200, JSON.stringify(concurrent[i]?.json));
      assert.deepEqual(concurrent[i]?.json.targets, sequential[i]?.json.targets);
      assert.deepEqual(concurrent[i]?.json.scores, sequential[i]?.json.scores);
      assert.equal(concurrent[i]?.json.attribution, sequential[i]?.json.attribution);
    }
  });
});

describe('lucerna serve keeps models warm', () => {
  it('a second identical call creates no session; the LRU disposes what it evicts', async () => {
    await using warm = await startServer({ roots: [root], port: 0, cacheSize: 1 });
    const body = request({ method: 'grad-cam' });
    assert.equal((await post(body, warm.url)).status, 200);
    const afterFirst = warm.stats.sessionsCreated;
    assert.ok(afterFirst > 0);
    assert.equal((await post(body, warm.url)).status, 200);
    assert.equal(warm.stats.sessionsCreated, afterFirst);
    assert.equal(warm.stats.modelsLoaded, 1);
    assert.equal((await post({ ...body, model: 'cnn2.onnx' }, warm.url)).status, 200);
    assert.equal(warm.stats.modelsLoaded, 2);
    assert.equal(warm.stats.modelsDisposed, 1);
    await warm.close();
    assert.equal(warm.stats.modelsDisposed, 2);
  });
});
