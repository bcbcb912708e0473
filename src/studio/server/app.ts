/**
 * The HTTP routes of `lucerna studio`, on Hono (the error shape and body cap of `lucerna serve`):
 * - `GET /api/config` → what the user named on the command line ({@link StudioConfig});
 * - `GET /api/dataset/:id` → the images and landmarks of a dataset folder (`dataset.ts`);
 * - `GET /api/list/:id/<dir>` → the entries of a folder under a named root;
 * - `GET /files/:id/<path>` → a file under a named root (confined by `files.ts`);
 * - `POST /api/save/:name` → stores a JSON document (a QA session's part model) in the `--out`
 *   folder, capped at `maxUploadBytes` (413 beyond);
 * - anything else → the built app (its `index.html` at `/`).
 *
 * Requests whose `Host` is not a loopback name are refused (403) while the server is bound to
 * loopback, so a web page cannot reach it through DNS rebinding.
 *
 * Node-only.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Context, Hono } from 'hono';
import { LucernaError } from '../../errors.js';
import type { Preprocessing } from '../../io/preprocess.js';
import { errorBody, handleErrors, limitBody } from '../../serve/app.js';
import { readDatasetListing } from './dataset.js';
import { contentType, pathSegments, type Roots, resolveInRoot } from './files.js';

/** A file the user named, as the page sees it. */
export interface NamedFile {
  readonly name: string;
  readonly url: string;
}

/** The model as the page sees it, with its sidecar's labels and preprocessing when it has one. */
export interface NamedModel extends NamedFile {
  readonly labels?: readonly string[];
  readonly preprocessing?: Preprocessing;
}

/** What `GET /api/config` answers: everything the page may load. */
export interface StudioConfig {
  readonly version: string;
  readonly model?: NamedModel;
  /** `url` is the dataset listing. */
  readonly dataset?: NamedFile;
  /** A `result.json` of `lucerna dissect`. */
  readonly dissection?: NamedFile;
  /** A `graph.json` of `lucerna graph build`. */
  readonly graph?: NamedFile;
  /** `--open-folder` folders; `url` is the folder listing. */
  readonly folders: readonly (NamedFile & { readonly id: string })[];
  readonly maxUploadBytes: number;
  /** Whether `POST /api/save/:name` stores files (an `--out` folder was given). */
  readonly canSave: boolean;
}

/** What the routes need. */
export interface StudioDeps {
  /** `app` is the built page; the others are the folders the user named. */
  readonly roots: Roots;
  readonly config: StudioConfig;
  /** Where saved documents go (none: saving is refused). */
  readonly saveDir?: string;
  /** Whether the server is bound to loopback (then only loopback `Host` names are answered). */
  readonly loopback: boolean;
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Whether a `Host` header names this machine (`127.0.0.1`, `localhost` or `[::1]`, any port).
 *
 * @example
 * ```ts
 * isLoopbackHost('127.0.0.1:8080'); // true
 * isLoopbackHost('evil.example:8080'); // false
 * ```
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] as string);
  return LOOPBACK_NAMES.has(name.toLowerCase());
}

/** A file name `POST /api/save/:name` accepts. */
const SAVE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.json$/;

/** The encoded path after `/<prefix>/<id>/` of the request (`''` when none). */
function rest(c: Context, prefix: string, id: string): string {
  const path = new URL(c.req.url).pathname;
  const head = `/${prefix}/${encodeURIComponent(id)}`;
  return path.length > head.length ? path.slice(head.length + 1) : '';
}

async function sendFile(c: Context, roots: Roots, id: string, raw: string): Promise<Response> {
  const found = await resolveInRoot(roots, id, raw);
  if (found.isDirectory) throw new LucernaError('FILE_NOT_FOUND', `"${raw}" is a folder`, `List it with /api/list/${id}/${raw}`);
  const body = await readFile(found.path);
  return c.body(body, 200, { 'content-type': contentType(found.path), 'cache-control': 'no-store' });
}

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  // Cross-origin isolation lets onnxruntime-web use threads (SharedArrayBuffer).
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  // Only this origin's scripts (plus WebAssembly compilation for onnxruntime-web); no plugins, no framing.
  'content-security-policy':
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; connect-src 'self' blob: data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
};

/**
 * Builds the studio's Hono app (tests may call `app.request(...)` without a socket).
 *
 * @example
 * ```ts
 * const app = createStudioApp({ roots: new Map([['app', '/srv/studio']]), config, loopback: true });
 * ```
 */
export function createStudioApp(deps: StudioDeps): Hono {
  const app = new Hono();
  handleErrors(app);
  app.notFound((c) => c.json(errorBody('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`), 404));
  app.use(async (c, next) => {
    if (deps.loopback && !isLoopbackHost(c.req.header('host')))
      return c.json(errorBody('FORBIDDEN_HOST', 'this studio answers only requests addressed to 127.0.0.1 or localhost'), 403);
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  });
  app.get('/api/config', (c) => c.json(deps.config));
  app.get('/api/dataset/:id', async (c) => {
    const id = c.req.param('id');
    const found = await resolveInRoot(deps.roots, id, '');
    if (id === 'app') throw new LucernaError('FILE_NOT_FOUND', 'no dataset "app"');
    return c.json(await readDatasetListing(found.path, id));
  });
  app.get('/api/list/:id/*', async (c) => listing(c, deps.roots));
  app.get('/api/list/:id', async (c) => listing(c, deps.roots));
  app.get('/files/:id/*', (c) => {
    const id = c.req.param('id');
    if (id === 'app') throw new LucernaError('FILE_NOT_FOUND', 'no folder "app" under /files');
    return sendFile(c, deps.roots, id, rest(c, 'files', id));
  });
  app.post('/api/save/:name', limitBody(deps.config.maxUploadBytes, 'Save a smaller document'), async (c) => {
    if (!deps.saveDir)
      throw new LucernaError('FORBIDDEN_PATH', 'this studio was started without --out, so it saves nothing', 'Start lucerna studio with --out <dir>');
    const name = c.req.param('name');
    if (!SAVE_NAME.test(name)) throw new LucernaError('BAD_OPTION', `cannot save as "${name}": use letters, digits, ".", "_" or "-" and end in .json`);
    const text = await c.req.text();
    try {
      JSON.parse(text);
    } catch {
      throw new LucernaError('BAD_OPTION', 'the document to save is not valid JSON');
    }
    const target = join(deps.saveDir, name);
    const staged = `${target}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      await writeFile(staged, text);
      await rename(staged, target);
    } catch (e) {
      await rm(staged, { force: true });
      throw new LucernaError('BAD_FILE', `cannot save ${name} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    return c.json({ saved: name, bytes: Buffer.byteLength(text) });
  });
  app.get('/*', (c) => {
    const path = new URL(c.req.url).pathname;
    return sendFile(c, deps.roots, 'app', path === '/' ? 'index.html' : path.slice(1));
  });
  return app;
}

async function listing(c: Context, roots: Roots): Promise<Response> {
  const id = c.req.param('id') as string;
  if (id === 'app') throw new LucernaError('FILE_NOT_FOUND', 'no folder "app" to list');
  const raw = rest(c, 'api/list', id);
  const found = await resolveInRoot(roots, id, raw);
  if (!found.isDirectory) throw new LucernaError('BAD_OPTION', `"${raw}" is a file, not a folder`, `Fetch it from /files/${id}/${raw}`);
  const base = pathSegments(raw).map(encodeURIComponent);
  const entries = (await readdir(found.path, { withFileTypes: true }))
    .filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isDirectory()))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((e) => {
      const path = [...base, encodeURIComponent(e.name)].join('/');
      return e.isDirectory()
        ? { name: e.name, kind: 'folder' as const, url: `/api/list/${id}/${path}` }
        : { name: e.name, kind: 'file' as const, url: `/files/${id}/${path}` };
    });
  return c.json({ id, path: pathSegments(raw).join('/'), entries });
}
