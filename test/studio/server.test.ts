/**
 * The `lucerna studio` server, in-process on port 0 with raw HTTP requests (so `..` and encoded
 * segments reach the server as written): path traversal is refused in several encodings and
 * through a symlink, an oversized upload gets 413, the default bind is loopback, unknown files are
 * 404, only the named folders are served, and a foreign `Host` is refused.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathSegments } from '../../src/studio/server/files.js';
import { type RunningStudio, startStudio } from '../../src/studio/server/start.js';
import { oracleDir } from '../helpers/oracle.js';

const SECRET = 'top-secret-outside-the-roots';
const dir = mkdtempSync(join(tmpdir(), 'lucerna-studio-'));
const app = join(dir, 'app');
const data = join(dir, 'data');
const models = join(dir, 'models');
const outside = join(dir, 'outside');
const saves = join(dir, 'saves');
for (const d of [app, join(app, 'assets'), data, join(data, 'images'), models, outside, saves]) mkdirSync(d, { recursive: true });
writeFileSync(join(app, 'index.html'), '<!doctype html><title>studio</title>');
writeFileSync(join(app, 'assets', 'main.js'), 'console.log(1)');
writeFileSync(join(app, 'assets', 'ort.wasm'), Buffer.from([0, 97, 115, 109]));
writeFileSync(join(data, 'index.csv'), 'image,split,ih,iw\nparts_0000.png,train,8,8\nparts_0001.png,val,8,8\n');
writeFileSync(join(data, 'landmarks.csv'), 'image,landmark,x,y\nparts_0000.png,head,3.5,2\nparts_0001.png,tail,1,6\n');
writeFileSync(join(data, 'attributes.csv'), 'image,class,split\nparts_0000.png,bird,train\nparts_0001.png,fish,val\n');
writeFileSync(join(data, 'images', 'parts_0000.png'), 'png-bytes');
writeFileSync(join(data, '.hidden'), SECRET);
writeFileSync(join(dir, 'secret.txt'), SECRET);
writeFileSync(join(outside, 'secret.txt'), SECRET);
writeFileSync(join(models, 'graph.json'), '{"nodes":[]}');
copyFileSync(join(oracleDir, 'tiny_cnn/model.onnx'), join(models, 'cnn.onnx'));
symlinkSync(join(outside, 'secret.txt'), join(data, 'link.txt'));
symlinkSync(outside, join(data, 'linkdir'));

let studio: RunningStudio;
before(async () => {
  studio = await startStudio({
    appDir: app,
    model: join(models, 'cnn.onnx'),
    dataset: data,
    graph: join(models, 'graph.json'),
    out: saves,
    port: 0,
    maxUploadBytes: 1024,
  });
});
after(async () => {
  await studio?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Raw {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** One HTTP request with the path sent exactly as written. */
function raw(path: string, options: { method?: string; body?: string; host?: string } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: studio.port,
        path,
        method: options.method ?? 'GET',
        headers: { host: options.host ?? `127.0.0.1:${studio.port}`, 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('lucerna studio server', () => {
  it('binds to loopback by default and serves the app with isolation headers', async () => {
    assert.equal(studio.host, '127.0.0.1');
    assert.match(studio.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const index = await raw('/');
    assert.equal(index.status, 200);
    assert.match(index.body, /<title>studio<\/title>/);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(index.headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(index.headers['cross-origin-embedder-policy'], 'require-corp');
    assert.match(String(index.headers['content-security-policy']), /script-src 'self' 'wasm-unsafe-eval'/);
    assert.equal((await raw('/assets/ort.wasm')).headers['content-type'], 'application/wasm');
  });

  it('tells the page what was named and lists the dataset', async () => {
    const config = JSON.parse((await raw('/api/config')).body);
    assert.deepEqual(config.model, { name: 'cnn.onnx', url: '/files/model/cnn.onnx' });
    assert.deepEqual(config.graph, { name: 'graph.json', url: '/files/graph/graph.json' });
    assert.equal(config.dataset.url, '/api/dataset/dataset');
    assert.equal(config.canSave, true);
    const model = await raw(config.model.url);
    assert.equal(model.status, 200);
    assert.equal(model.headers['content-length'], String(readFileSync(join(models, 'cnn.onnx')).length));
    const listing = JSON.parse((await raw(config.dataset.url)).body);
    assert.deepEqual(
      listing.images.map((i: { path: string; split: string; className: string }) => [i.path, i.split, i.className]),
      [
        ['images/parts_0000.png', 'train', 'bird'],
        ['images/parts_0001.png', 'val', 'fish'],
      ],
    );
    assert.deepEqual(listing.landmarks[0], { image: 'images/parts_0000.png', part: 'head', x: 3.5, y: 2 });
    assert.deepEqual(listing.parts, ['head', 'tail']);
    assert.equal((await raw(listing.images[0].url)).body, 'png-bytes');
  });

  it('refuses path traversal in every spelling, and symlinks out of a root', async () => {
    // Reach the file handler as one segment: refused by name (403).
    for (const path of [
      '/files/dataset/..%2f..%2fsecret.txt',
      '/files/dataset/..%2F..%2Foutside%2Fsecret.txt',
      '/files/dataset/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/files/dataset/..%5c..%5csecret.txt',
      '/files/dataset//etc/passwd',
      '/files/dataset/%2fetc%2fpasswd',
      '/files/dataset/link.txt',
      '/files/dataset/linkdir/secret.txt',
      '/files/dataset/.hidden',
      '/files/dataset/images/%00.png',
      '/%2e%2e%2fsecret.txt',
      '/api/list/dataset/..%2f..',
      '/api/list/dataset/linkdir',
    ]) {
      const answer = await raw(path);
      assert.equal(answer.status, 403, `${path}: ${answer.status} ${answer.body}`);
      assert.doesNotMatch(answer.body, new RegExp(SECRET), path);
      assert.equal(JSON.parse(answer.body).error.code, 'FORBIDDEN_PATH', path);
    }
    // Dot segments the URL parser folds away land outside every named route or root: never the file.
    for (const path of [
      '/files/dataset/../../secret.txt',
      '/files/dataset/%2e%2e/%2e%2e/secret.txt',
      '/files/dataset/.%2e/.%2e/outside/secret.txt',
      '/../../secret.txt',
    ]) {
      const answer = await raw(path);
      assert.ok(answer.status === 403 || answer.status === 404, `${path}: ${answer.status}`);
      assert.doesNotMatch(answer.body, new RegExp(SECRET), path);
    }
    assert.throws(() => pathSegments('a/%2e%2e/b'), /outside the folders/);
    assert.throws(() => pathSegments('a/%E0%A4%A'), /outside the folders/);
    assert.deepEqual(pathSegments('images/a%20b.png'), ['images', 'a b.png']);
  });

  it('serves only the named folders, and unknown files are 404', async () => {
    for (const path of [
      '/files/app/index.html',
      '/files/folder-1/x.png',
      '/files/dataset/images/nope.png',
      '/nope.js',
      '/api/dataset/app',
      '/api/dataset/elsewhere',
    ]) {
      const answer = await raw(path);
      assert.equal(answer.status, 404, `${path}: ${answer.status} ${answer.body}`);
    }
    // The model's folder is served (the user named the model), its parent is not.
    assert.equal((await raw('/files/model/graph.json')).status, 200);
    const listing = JSON.parse((await raw('/api/list/dataset')).body);
    assert.deepEqual(
      listing.entries.map((e: { name: string; kind: string }) => `${e.kind}:${e.name}`),
      ['file:attributes.csv', 'folder:images', 'file:index.csv', 'file:landmarks.csv'],
    );
  });

  it('saves a small JSON document and refuses an oversized upload with 413', async () => {
    const ok = await raw('/api/save/part-head.json', { method: 'POST', body: JSON.stringify({ part: 'head' }) });
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual(JSON.parse(readFileSync(join(saves, 'part-head.json'), 'utf8')), { part: 'head' });
    const big = await raw('/api/save/big.json', { method: 'POST', body: JSON.stringify({ pad: 'x'.repeat(2000) }) });
    assert.equal(big.status, 413);
    assert.equal(JSON.parse(big.body).error.code, 'BODY_TOO_LARGE');
    assert.equal((await raw('/api/save/..%2fevil.json', { method: 'POST', body: '{}' })).status, 400);
    assert.equal((await raw('/api/save/bad.json', { method: 'POST', body: '{nope' })).status, 400);
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    const answer = await raw('/api/config', { host: `evil.example:${studio.port}` });
    assert.equal(answer.status, 403);
    assert.equal(JSON.parse(answer.body).error.code, 'FORBIDDEN_HOST');
    assert.equal((await raw('/api/config', { host: `localhost:${studio.port}` })).status, 200);
  });
});
