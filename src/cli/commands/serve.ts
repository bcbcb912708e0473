/**
 * `lucerna serve [--root <dir>]... [--port <n>] [--host <addr>]`: keeps models and compiled
 * sessions warm and answers attribution requests over HTTP (docs/serve.md). Loopback only unless
 * `--host` says otherwise.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { ServeFlags } from './serve-run.js';

/**
 * `lucerna serve`: a warm HTTP server for attribution requests.
 *
 * @example
 * ```sh
 * lucerna serve --root models --root images --port 8080
 * ```
 */
export const serveCommand = defineCommand<ServeFlags>({
  name: 'serve',
  description: 'keep models warm and answer attribution requests over HTTP (loopback only by default)',
  endsOnSigterm: true,
  options: [
    { flags: '--root <dir...>', description: 'folders models and inputs may be read from (repeatable; default: the current directory)' },
    { flags: '--host <addr>', description: 'address to bind (default 127.0.0.1; anything else is reachable from other machines)' },
    { flags: '--port <n>', description: 'port (default 0: pick a free one and print the URL)' },
    { flags: '--cache-size <n>', description: 'loaded models kept warm (default 4)' },
    { flags: '--max-body <mib>', description: 'largest request body in MiB (default 32)' },
    flags.json('print the URL and settings as JSON when the server stops'),
  ],
  run: async (ctx, _args, f) => (await import('./serve-run.js')).runServe(ctx, f),
});
