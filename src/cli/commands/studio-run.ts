/**
 * The work of `lucerna studio`: checks the flags, starts the studio server, prints its URL and
 * serves until Ctrl-C (exit code 130, through the runner) or SIGTERM (exit 0).
 */
import { LucernaError } from '../../errors.js';
import type { CommandContext, CommandResult } from '../command.js';
import { modelFile } from '../model.js';
import { packagePath } from '../package-root.js';
import { parseInteger, parseNumber } from '../parse.js';
import { LOOPBACK, untilStopped, version } from './serve-run.js';

/** Flags of `lucerna studio`. */
export interface StudioFlags {
  readonly dataset?: string;
  readonly dissection?: string;
  readonly graph?: string;
  readonly openFolder?: readonly string[];
  readonly saveDir?: string;
  readonly host?: string;
  readonly port?: string;
  readonly maxUpload?: string;
  readonly app?: string;
  readonly json?: boolean;
}

/**
 * The built app shipped with the package: `dist/studio-app` beside `src/` and `dist/` (this file sits
 * three folders below the package root in both).
 *
 * @example
 * ```ts
 * defaultAppDir(); // '/…/lucerna/dist/studio-app'
 * ```
 */
export function defaultAppDir(): string {
  return `${packagePath('dist/studio-app')}/`;
}

/**
 * Runs the studio until it is stopped.
 *
 * @example
 * ```ts
 * await runStudio(ctx, 'model.onnx', { dataset: 'data/parts', port: '0' });
 * ```
 */
export async function runStudio(ctx: CommandContext, model: string | undefined, f: StudioFlags): Promise<CommandResult> {
  const port = parseInteger(f.port, '--port', 0) ?? 0;
  if (port > 65535) throw new LucernaError('BAD_OPTION', `--port must be at most 65535, got ${port}`);
  const maxUploadMib = parseNumber(f.maxUpload, '--max-upload', 0) ?? 8;
  if (maxUploadMib <= 0) throw new LucernaError('BAD_OPTION', `--max-upload must be more than 0 MiB, got ${f.maxUpload}`);
  const host = f.host ?? '127.0.0.1';
  const appDir = f.app ?? defaultAppDir();
  const { startStudio } = await import('../../studio/server/start.js');
  const studio = await startStudio({
    appDir,
    model: await modelFile(model),
    dataset: f.dataset,
    dissection: f.dissection,
    graph: f.graph,
    folders: f.openFolder,
    out: f.saveDir,
    host,
    port,
    maxUploadBytes: Math.round(maxUploadMib * 1024 * 1024),
    version: version(),
  });
  if (!LOOPBACK.has(host)) ctx.warn(`--host ${host}: the studio is reachable from other machines and has no authentication`);
  try {
    const stopped = untilStopped(ctx.signal);
    ctx.io.stdout(`lucerna studio: open ${studio.url}/ (serving ${[...studio.roots.values()].slice(1).join(', ') || 'the app only'}); Ctrl-C stops it\n`);
    await stopped;
  } finally {
    await studio.close();
  }
  return { message: 'lucerna studio: stopped', json: { url: studio.url, config: studio.config } };
}
