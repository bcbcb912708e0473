/**
 * Starts the `lucerna studio` server: resolves what the user named (a model file, a dataset folder,
 * a `result.json`, a `graph.json`, `--open-folder` folders) into named roots, builds the app
 * (`app.ts`) and listens on loopback unless told otherwise (`serve/server.ts`'s {@link listen}).
 *
 * Node-only.
 */
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { LucernaError } from '../../errors.js';
import { readSidecar } from '../../io/sidecar.js';
import { listen } from '../../serve/server.js';
import { createStudioApp, type NamedFile, type StudioConfig } from './app.js';

/** The default cap on an upload (bytes). */
export const DEFAULT_MAX_UPLOAD = 8 * 1024 * 1024;

/** Options of {@link startStudio}. */
export interface StudioOptions {
  /** The built app (a folder with `index.html`). */
  readonly appDir: string;
  readonly model?: string;
  readonly dataset?: string;
  readonly dissection?: string;
  readonly graph?: string;
  readonly folders?: readonly string[];
  /** Where the page may save documents (none: saving is refused). */
  readonly out?: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly maxUploadBytes?: number;
  readonly version?: string;
}

/** A running studio. */
export interface RunningStudio extends AsyncDisposable {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly config: StudioConfig;
  /** The served folders by id. */
  readonly roots: ReadonlyMap<string, string>;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function realPath(path: string, what: string, kind: 'file' | 'folder'): string {
  let real: string;
  try {
    real = realpathSync(resolve(path));
  } catch {
    throw new LucernaError('FILE_NOT_FOUND', `${what} "${path}" does not exist`);
  }
  const isDirectory = statSync(real).isDirectory();
  if (kind === 'folder' && !isDirectory) throw new LucernaError('BAD_OPTION', `${what} "${path}" is a file, not a folder`);
  if (kind === 'file' && isDirectory) throw new LucernaError('BAD_OPTION', `${what} "${path}" is a folder, not a file`);
  return real;
}

/**
 * The roots and the page's config for the paths the user named. Every path must exist: a missing
 * one is FILE_NOT_FOUND, a file given for a folder (or the reverse) BAD_OPTION.
 *
 * @example
 * ```ts
 * const { roots, config } = studioRoots({ appDir: 'dist/studio-app', dataset: 'data/parts' }, '0.1.0', 1 << 20);
 * ```
 */
export function studioRoots(options: StudioOptions, version: string, maxUploadBytes: number): { roots: Map<string, string>; config: StudioConfig } {
  const app = realPath(options.appDir, 'the studio app folder', 'folder');
  try {
    statSync(resolve(app, 'index.html'));
  } catch {
    throw new LucernaError('FILE_NOT_FOUND', `the studio app in "${options.appDir}" has no index.html`, 'Build it with npm run build:studio');
  }
  const roots = new Map<string, string>([['app', app]]);
  const file = (id: string, path: string | undefined, what: string): NamedFile | undefined => {
    if (path === undefined) return undefined;
    const real = realPath(path, what, 'file');
    roots.set(id, dirname(real));
    return { name: basename(real), url: `/files/${id}/${encodeURIComponent(basename(real))}` };
  };
  const model = file('model', options.model, 'the model');
  const dissection = file('dissection', options.dissection, 'the dissection result');
  const graph = file('graph', options.graph, 'the graph file');
  let dataset: NamedFile | undefined;
  if (options.dataset !== undefined) {
    const real = realPath(options.dataset, 'the --dataset folder', 'folder');
    roots.set('dataset', real);
    dataset = { name: basename(real), url: '/api/dataset/dataset' };
  }
  const folders = (options.folders ?? []).map((path, i) => {
    const id = `folder-${i + 1}`;
    const real = realPath(path, 'the --open-folder folder', 'folder');
    roots.set(id, real);
    return { id, name: basename(real), url: `/api/list/${id}` };
  });
  const config: StudioConfig = {
    version,
    ...(model ? { model } : {}),
    ...(dataset ? { dataset } : {}),
    ...(dissection ? { dissection } : {}),
    ...(graph ? { graph } : {}),
    folders,
    maxUploadBytes,
    canSave: options.out !== undefined,
  };
  return { roots, config };
}

/**
 * Starts the studio server and resolves once it listens.
 *
 * @example
 * ```ts
 * await using studio = await startStudio({ appDir: 'dist/studio-app', model: 'cnn.onnx', port: 0 });
 * console.log(studio.url);
 * ```
 */
export async function startStudio(options: StudioOptions): Promise<RunningStudio> {
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD;
  const named = studioRoots(options, options.version ?? '0.0.0', maxUploadBytes);
  const { roots } = named;
  let { config } = named;
  if (config.model && options.model) {
    // The sidecar's labels and preprocessing go to the page (one line on a bad sidecar).
    const sidecar = await readSidecar(realpathSync(resolve(options.model)));
    if (sidecar)
      config = {
        ...config,
        model: {
          ...config.model,
          ...(sidecar.labels ? { labels: sidecar.labels } : {}),
          ...(sidecar.preprocessing ? { preprocessing: sidecar.preprocessing } : {}),
        },
      };
  }
  const saveDir = options.out === undefined ? undefined : realPath(options.out, 'the --out folder', 'folder');
  const host = options.host ?? '127.0.0.1';
  const app = createStudioApp({ roots, config, saveDir, loopback: LOOPBACK.has(host) });
  const listening = await listen(app.fetch, { host, port: options.port });
  const close = () => listening.close();
  return { url: listening.url, host: listening.host, port: listening.port, config, roots, close, [Symbol.asyncDispose]: close };
}
