/**
 * The compile cache on disk (Node only): compiled gradient plans stored as files in the user's
 * cache folder (`$XDG_CACHE_HOME/lucerna/compiled`, else `~/.cache/lucerna/compiled`), with a size
 * cap (least recently used entries go first), atomic writes (a temporary file, then a rename, so
 * concurrent processes never read half an entry) and a checksum that catches corrupt entries:
 * those are dropped, rebuilt and reported once.
 *
 * An entry file: the magic `LUCCACHE`, two little-endian uint32 lengths (meta, model), the SHA-256
 * of key + meta + model, the meta (UTF-8 JSON) and the model bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { userCacheDir } from '../io/cache-dir.js';
import { nodeRuntime } from './node.js';
import type { CompiledEntry, CompileStore, Runtime } from './runtime.js';

const MAGIC = Buffer.from('LUCCACHE');
const HEADER = MAGIC.length + 8 + 32;
const SUFFIX = '.lcc';
/** Default size cap of the compile cache folder. */
export const DEFAULT_CACHE_MAX_BYTES = 512 * 1024 * 1024;

const sha256 = (...parts: (Uint8Array | string)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/**
 * Packs an entry into the on-disk format.
 *
 * @example `const file = packEntry(key, { meta, model });`
 */
export function packEntry(key: string, entry: CompiledEntry): Uint8Array {
  const meta = Buffer.from(entry.meta, 'utf8');
  const header = Buffer.alloc(HEADER);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(meta.length, MAGIC.length);
  header.writeUInt32LE(entry.model.length, MAGIC.length + 4);
  sha256(key, meta, entry.model).copy(header, MAGIC.length + 8);
  return Buffer.concat([header, meta, entry.model]);
}

/**
 * Unpacks an entry, or undefined when the bytes are not a whole, intact entry for `key`.
 *
 * @example `const entry = unpackEntry(key, await readFile(path));`
 */
export function unpackEntry(key: string, bytes: Uint8Array): CompiledEntry | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const metaLength = buf.readUInt32LE(MAGIC.length);
  const modelLength = buf.readUInt32LE(MAGIC.length + 4);
  if (buf.length !== HEADER + metaLength + modelLength) return undefined;
  const meta = buf.subarray(HEADER, HEADER + metaLength);
  const model = buf.subarray(HEADER + metaLength);
  if (!sha256(key, meta, model).equals(buf.subarray(MAGIC.length + 8, HEADER))) return undefined;
  return { meta: meta.toString('utf8'), model: new Uint8Array(model) };
}

/**
 * A fingerprint of the Lucerna code that shapes compiled graphs (the compiler, the ONNX layer and
 * the engine: file names, sizes and times) and of the package version, so an edited checkout or an
 * upgrade never opens a graph an older compiler made.
 *
 * @example `codeFingerprint(); // '0.1.0+3f2a…'`
 */
export function codeFingerprint(): string {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (/\.(ts|js)$/.test(e.name) && !e.name.endsWith('.test.ts')) {
        const s = statSync(path);
        h.update(`${path.slice(root.length)}:${s.size}:${s.mtimeMs}\n`);
      }
    }
  };
  for (const part of ['compiler', 'onnx', 'engine']) walk(join(root, part));
  return `${pkg.version ?? '0'}+${h.digest('hex').slice(0, 16)}`;
}

/** Options of {@link diskCompileStore}. */
export interface DiskStoreOptions {
  /** The folder (default `<user cache>/compiled`, see `userCacheDir`). */
  readonly dir?: string;
  /** Size cap in bytes (default `$LUCERNA_CACHE_MAX_MB` MiB, else 512 MiB). */
  readonly maxBytes?: number;
  /** Where the one-line notes about corrupt entries go (default: stderr). */
  readonly warn?: (message: string) => void;
  /** The engine tag (default: onnxruntime-node's version, platform, providers and {@link codeFingerprint}). */
  readonly tag?: string;
}

function defaultMaxBytes(): number {
  const mb = Number(process.env.LUCERNA_CACHE_MAX_MB);
  return Number.isFinite(mb) && mb >= 0 ? mb * 1024 * 1024 : DEFAULT_CACHE_MAX_BYTES;
}

async function evict(dir: string, maxBytes: number): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const entries: { path: string; size: number; time: number }[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const s = await stat(path).catch(() => undefined);
    if (!s?.isFile()) continue;
    // Temporary files of writers that died more than an hour ago.
    if (name.endsWith('.tmp')) {
      if (Date.now() - s.mtimeMs > 3_600_000) await rm(path, { force: true });
    } else if (name.endsWith(SUFFIX)) entries.push({ path, size: s.size, time: s.mtimeMs });
  }
  let total = entries.reduce((sum, e) => sum + e.size, 0);
  for (const e of entries.sort((a, b) => a.time - b.time)) {
    if (total <= maxBytes) break;
    await rm(e.path, { force: true });
    total -= e.size;
  }
}

/**
 * The compile cache as a folder on disk.
 *
 * @example
 * ```ts
 * const runtime = withCompileCache(nodeRuntime, diskCompileStore({ dir: '/tmp/lucerna-cache' }));
 * await using model = await Model.load(bytes, { runtime });
 * ```
 */
export function diskCompileStore(options: DiskStoreOptions = {}): CompileStore {
  const dir = options.dir ?? join(userCacheDir(), 'compiled');
  const maxBytes = options.maxBytes ?? defaultMaxBytes();
  const warn = options.warn ?? ((m: string) => process.stderr.write(`lucerna: warning: ${m}\n`));
  const warned = new Set<string>();
  let tag = options.tag;
  const fileOf = (key: string) => join(dir, `${sha256(key).toString('hex').slice(0, 40)}${SUFFIX}`);
  return {
    get tag() {
      tag ??= `${nodeRuntimeTag()} ${codeFingerprint()}`;
      return tag;
    },
    digest: (bytes) => sha256(bytes).toString('hex'),
    async get(key) {
      const path = fileOf(key);
      const bytes = await readFile(path).catch(() => undefined);
      if (!bytes) return undefined;
      const entry = unpackEntry(key, bytes);
      if (!entry) {
        await rm(path, { force: true });
        if (!warned.has(path)) {
          warned.add(path);
          warn(`the compile cache entry ${path} was corrupt; it is rebuilt`);
        }
        return undefined;
      }
      const now = new Date();
      await utimes(path, now, now).catch(() => undefined);
      return entry;
    },
    async put(key, entry) {
      const path = fileOf(key);
      const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await mkdir(dir, { recursive: true });
        await writeFile(tmp, packEntry(key, entry));
        await rename(tmp, path);
        await evict(dir, maxBytes);
      } catch {
        // A cache that cannot be written only costs time.
        await rm(tmp, { force: true }).catch(() => undefined);
      }
    },
  };
}

/** onnxruntime-node's version, the platform and the execution providers. */
function nodeRuntimeTag(): string {
  const providers = process.env.LUCERNA_EXECUTION_PROVIDERS ?? 'cpu';
  return `${nodeRuntime.name}@${ortVersion()} ${process.platform}-${process.arch} ${providers}`;
}

function ortVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../vendor/onnxruntime-node/package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    try {
      return (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
    } catch {
      return 'unknown';
    }
  }
}

/**
 * A runtime that keeps compiled plans in `store`.
 *
 * @example `const runtime = withCompileCache(nodeRuntime, diskCompileStore());`
 */
export function withCompileCache(runtime: Runtime, store: CompileStore): Runtime {
  return { ...runtime, compileStore: store };
}

/**
 * The runtime the CLI uses: onnxruntime-node with the disk compile cache, unless
 * `LUCERNA_CACHE=off`.
 *
 * @example `setDefaultRuntime(cliRuntime());`
 */
export function cliRuntime(): Runtime {
  return process.env.LUCERNA_CACHE === 'off' ? nodeRuntime : withCompileCache(nodeRuntime, diskCompileStore());
}
