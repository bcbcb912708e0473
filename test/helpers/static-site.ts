/**
 * A tiny static file server on 127.0.0.1 for browser tests and the browser bench: serves a folder
 * (the built studio, dist/studio-app) plus named extra files (models, images), optionally with the
 * cross-origin isolation headers that let onnxruntime-web use WebAssembly threads.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.json': 'application/json',
  '.png': 'image/png',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

/** A running static site. */
export interface StaticSite {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `root` at `/` and each `extra[path]` file at `path`; with `isolated`, every response
 * carries COOP `same-origin` and COEP `require-corp` (so `crossOriginIsolated` is true).
 */
export async function serveStatic(root: string, options: { extra?: Record<string, string>; isolated?: boolean } = {}): Promise<StaticSite> {
  const base = resolve(root);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = options.extra?.[path] ?? join(base, normalize(path === '/' ? '/index.html' : path));
    if (!file.startsWith(base) && !options.extra?.[path]) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => {
        const headers: Record<string, string> = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' };
        if (options.isolated) Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
        res.writeHead(200, headers).end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
