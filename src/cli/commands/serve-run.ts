/**
 * The work of `lucerna serve`: starts the server, prints its URL, and serves until Ctrl-C (exit
 * code 130, through the runner) or SIGTERM (exit 0); both close the server and dispose every model.
 */
import { LucernaError } from '../../errors.js';
import type { CommandContext, CommandResult } from '../command.js';
import { packageVersion } from '../package-root.js';
import { parseInteger, parseNumber } from '../parse.js';

/** Flags of `lucerna serve`. */
export interface ServeFlags {
  readonly root?: readonly string[];
  readonly host?: string;
  readonly port?: string;
  readonly cacheSize?: string;
  readonly maxBody?: string;
  readonly json?: boolean;
}

/** Host names that reach only this machine. */
export const LOOPBACK: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '::1']);

/** The package version. */
export function version(): string {
  return packageVersion();
}

/**
 * Resolves when the signal aborts or the process gets SIGTERM. The SIGTERM listener is in place
 * when this returns, so call it before announcing the server: a supervisor that reads the URL and
 * sends SIGTERM at once must not meet Node's default action (death by signal, no exit code).
 *
 * @example
 * ```ts
 * const stopped = untilStopped(ctx.signal);
 * ctx.io.stdout(`listening on ${url}\n`);
 * await stopped;
 * ```
 */
export function untilStopped(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      signal.removeEventListener('abort', stop);
      resolve();
    };
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', stop, { once: true });
    process.on('SIGTERM', stop);
  });
}

/**
 * Runs the server until it is stopped.
 *
 * @example
 * ```ts
 * await runServe(ctx, { root: ['models'], port: '0' });
 * ```
 */
export async function runServe(ctx: CommandContext, f: ServeFlags): Promise<CommandResult> {
  const port = parseInteger(f.port, '--port', 0) ?? 0;
  if (port > 65535) throw new LucernaError('BAD_OPTION', `--port must be at most 65535, got ${port}`);
  const cacheSize = parseInteger(f.cacheSize, '--cache-size', 1) ?? 4;
  const maxBodyMib = parseNumber(f.maxBody, '--max-body', 0) ?? 32;
  const host = f.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) ctx.warn(`--host ${host}: the server is reachable from other machines and has no authentication`);
  const { startServer } = await import('../../serve/server.js');
  const server = await startServer({ roots: f.root ?? ['.'], host, port, cacheSize, maxBodyBytes: Math.round(maxBodyMib * 1024 * 1024), version: version() });
  try {
    const stopped = untilStopped(ctx.signal);
    ctx.io.stdout(`lucerna serve: listening on ${server.url} (roots: ${server.roots.join(', ')}); Ctrl-C stops it\n`);
    await stopped;
  } finally {
    await server.close();
  }
  const { stats } = server;
  return {
    message: `lucerna serve: stopped (${stats.modelsLoaded} models loaded, ${stats.sessionsCreated} sessions created)`,
    json: { url: server.url, roots: server.roots, ...stats },
  };
}
