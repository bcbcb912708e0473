/**
 * Starts and stops the `lucerna serve` HTTP server: the Hono app on Node's http module, bound to
 * loopback unless told otherwise, with its warm model cache. `close()` stops taking connections,
 * aborts running requests and disposes every model.
 *
 * Node-only.
 */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Runtime } from '../engine/runtime.js';
import { LucernaError } from '../errors.js';
import { createApp } from './app.js';
import { type CacheStats, ModelCache } from './models.js';
import { resolveRoots } from './roots.js';

/** The loopback address the server binds to by default. */
export const DEFAULT_HOST = '127.0.0.1';

/** The default cap on a request body (bytes). */
export const DEFAULT_MAX_BODY = 32 * 1024 * 1024;

/** Options of {@link startServer}. */
export interface ServeOptions {
  /** Folders models and inputs are read from (default: the current directory). */
  readonly roots?: readonly string[];
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Loaded models kept warm (default 4). */
  readonly cacheSize?: number;
  readonly maxBodyBytes?: number;
  readonly version?: string;
  /** The engine (default: ONNX Runtime for Node). */
  readonly runtime?: Runtime;
}

/** A running server. */
export interface RunningServer extends AsyncDisposable {
  /** `http://host:port` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly roots: readonly string[];
  readonly stats: CacheStats;
  close(): Promise<void>;
}

/**
 * Starts the server and resolves once it listens.
 *
 * @example
 * ```ts
 * await using server = await startServer({ roots: ['models'], port: 0 });
 * await fetch(`${server.url}/v1/health`);
 * ```
 */
export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const roots = resolveRoots(options.roots ?? ['.']);
  const runtime = options.runtime ?? (await import('../engine/node.js')).nodeRuntime;
  const models = new ModelCache(runtime, options.cacheSize ?? 4);
  const controller = new AbortController();
  const app = createApp({
    roots,
    models,
    signal: controller.signal,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY,
    version: options.version ?? '0.0.0',
  });
  const listening = await listen(app.fetch, { host: options.host, port: options.port, beforeClose: () => controller.abort() });
  const close = () => listening.close(() => models.dispose());
  const { url, host, port } = listening;
  return { url, host, port, roots, stats: models.stats, close, [Symbol.asyncDispose]: close };
}

/** Options of {@link listen}. */
export interface ListenOptions {
  /** Default {@link DEFAULT_HOST}. */
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Called first when closing (abort running work). */
  readonly beforeClose?: () => void;
}

/** A listening HTTP server. `close(after?)` is idempotent: later calls return the first promise. */
export interface Listening {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  close(after?: () => Promise<void>): Promise<void>;
}

/**
 * Serves a fetch handler (a Hono app's `fetch`) on Node's http module, bound to `host` (loopback by
 * default). Resolves once it listens; a port in use is one BAD_OPTION line.
 *
 * @example
 * ```ts
 * const listening = await listen(app.fetch, { port: 0 });
 * await listening.close();
 * ```
 */
export async function listen(fetch: (request: Request) => Response | Promise<Response>, options: ListenOptions = {}): Promise<Listening> {
  const host = options.host ?? DEFAULT_HOST;
  const server = createAdaptorServer({ fetch });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new LucernaError(
          'BAD_OPTION',
          `cannot listen on ${host}:${options.port ?? 0}: ${e.code ?? e.message}`,
          e.code === 'EADDRINUSE' ? 'Choose another --port, or 0 for a free one' : undefined,
        ),
      ),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = (after?: () => Promise<void>) => {
    closing ??= (async () => {
      options.beforeClose?.();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      });
      await after?.();
    })();
    return closing;
  };
  const shown = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shown}:${port}`, host, port, close };
}
