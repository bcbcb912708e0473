/**
 * The compile cache on disk (Node only): compiled gradient plans stored as files in the user's
 * cache folder (`$XDG_CACHE_HOME/lucerna/compiled`, else `~/.cache/lucerna/compiled`), with a size
 * cap (least recently used entries go first), atomic writes (a temporary file, then a rename, so
 * concurrent processes never read half an entry) and a checksum that catches corrupt entries:
 * those are dropped, rebuilt and reported once.
 *
 * An entry file: the magic `LUCCACH2`; little-endian uint32 lengths of the key, the meta and the
 * model, the CRC-32 of key + meta + model and the model's offset; then the key (UTF-8, compared
 * whole on reading), the meta (UTF-8 JSON), zeros up to a multiple of 64 and the model bytes: the
 * ORT-format graph ONNX Runtime wrote when it optimised the plan (opened in place, see
 * `compile-cache.ts`), or the compiled ONNX graph when it could not. A hit reads the file once
 * and hands ONNX Runtime a view of it: no copy, and a checksum instead of a cryptographic hash
 * (CRC-32 runs at memory speed; the file name already hashes the key).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from '../io/bytes-node.js';
import { userCacheDir } from '../io/cache-dir.js';
import { nodeRuntime } from './node.js';
import type { CompiledEntry, CompileStore, Runtime } from './runtime.js';

const MAGIC = Buffer.from('LUCCACH2');
/** Magic, then five uint32: key, meta and model lengths, CRC-32, model offset. */
const HEADER = MAGIC.length + 20;
/** The model starts at a multiple of this (ORT reads ORT-format bytes in place). */
const ALIGN = 64;
const SUFFIX = '.lcc';
/** Default size cap of the compile cache folder. */
export const DEFAULT_CACHE_MAX_BYTES = 1024 * 1024 * 1024;

const sha256 = (...parts: (Uint8Array | string)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** The header, key, meta and padding of an entry whose model has `modelLength` bytes and checksum `crc`. */
function entryHead(key: Buffer, meta: Buffer, modelLength: number, crc: number): Buffer {
  const offset = Math.ceil((HEADER + key.length + meta.length) / ALIGN) * ALIGN;
  const head = Buffer.alloc(offset);
  MAGIC.copy(head, 0);
  head.writeUInt32LE(key.length, MAGIC.length);
  head.writeUInt32LE(meta.length, MAGIC.length + 4);
  head.writeUInt32LE(modelLength, MAGIC.length + 8);
  head.writeUInt32LE(crc, MAGIC.length + 12);
  head.writeUInt32LE(offset, MAGIC.length + 16);
  key.copy(head, HEADER);
  meta.copy(head, HEADER + key.length);
  return head;
}

/** An entry as two pieces, the head and the model, written in turn so the model is never copied. */
function entryParts(key: string, entry: CompiledEntry): [Uint8Array, Uint8Array] {
  const k = Buffer.from(key, 'utf8');
  const meta = Buffer.from(entry.meta, 'utf8');
  const crc = crc32(entry.model, crc32(meta, crc32(k)));
  return [entryHead(k, meta, entry.model.length, crc), entry.model];
}

/**
 * Packs an entry into the on-disk format (one buffer; the store itself writes the two pieces).
 *
 * @example `const file = packEntry(key, { meta, model });`
 */
export function packEntry(key: string, entry: CompiledEntry): Uint8Array {
  return Buffer.concat(entryParts(key, entry));
}

/**
 * Unpacks an entry, or undefined when the bytes are not a whole, intact entry for `key`. The
 * model is a view of `bytes`, not a copy.
 *
 * @example `const entry = unpackEntry(key, await readFile(path));`
 */
export function unpackEntry(key: string, bytes: Uint8Array): CompiledEntry | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const field = (i: number) => buf.readUInt32LE(MAGIC.length + 4 * i);
  const [keyLength, metaLength, modelLength, crc, offset] = [field(0), field(1), field(2), field(3), field(4)];
  if (offset < HEADER + keyLength + metaLength || buf.length !== offset + modelLength) return undefined;
  const k = buf.subarray(HEADER, HEADER + keyLength);
  if (!k.equals(Buffer.from(key, 'utf8'))) return undefined;
  const meta = buf.subarray(HEADER + keyLength, HEADER + keyLength + metaLength);
  let model: Uint8Array = new Uint8Array(bytes.buffer, bytes.byteOffset + offset, modelLength);
  if (crc32(model, crc32(meta, crc32(k))) !== crc) return undefined;
  // ORT reads FlatBuffers in place: keep them 8-byte aligned (a pooled small read may not be).
  if (model.byteOffset % 8 !== 0) model = model.slice();
  return { meta: meta.toString('utf8'), model };
}

/**
 * A fingerprint of the Lucerna code that shapes compiled graphs (the compiler, the ONNX layer, the
 * engine, and `visualization/` whose `trunkGraph` shapes dissection's stored trunk: file names,
 * sizes and times) and of the package version, so an edited checkout or an
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
  for (const part of ['compiler', 'onnx', 'engine', 'visualization']) walk(join(root, part));
  return `${pkg.version ?? '0'}+${h.digest('hex').slice(0, 16)}`;
}

/** Options of {@link diskCompileStore}. */
export interface DiskStoreOptions {
  /** The folder (default `<user cache>/compiled`, see `userCacheDir`). */
  readonly dir?: string;
  /** Size cap in bytes (default `$LUCERNA_CACHE_MAX_MB` MiB, else 1 GiB). */
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
      const bytes = await readThroughChunk(path).catch(() => undefined);
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
      const tmp = tmpOf(key);
      try {
        await mkdir(dir, { recursive: true });
        await writeParts(tmp, entryParts(key, entry));
        await commit(tmp, key);
      } catch {
        // A cache that cannot be written only costs time.
        await rm(tmp, { force: true }).catch(() => undefined);
      }
    },
    async reserve(key) {
      const created = await mkdir(dir, { recursive: true }).then(
        () => true,
        () => false,
      );
      return created ? `${tmpOf(key).slice(0, -'.tmp'.length)}.ort.tmp` : undefined;
    },
    async adopt(key, meta, path) {
      const tmp = tmpOf(key);
      try {
        await appendModelFile(tmp, key, meta, path);
        await commit(tmp, key);
        return true;
      } catch {
        await rm(tmp, { force: true }).catch(() => undefined);
        return false;
      } finally {
        await rm(path, { force: true }).catch(() => undefined);
      }
    },
  };

  function tmpOf(key: string): string {
    return `${fileOf(key)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  }

  async function commit(tmp: string, key: string): Promise<void> {
    await rename(tmp, fileOf(key));
    await evict(dir, maxBytes);
  }
}

/**
 * Reads a whole file through one 4 MiB buffer, copied into the result piece by piece. Measured on
 * a 117 MB entry: 0.55 s of CPU against 0.71 s for `readFile` and a checksum pass, since the
 * result's fresh pages are first touched by the copy rather than by the kernel and again by the
 * checksum.
 */
async function readThroughChunk(path: string): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const out = Buffer.allocUnsafeSlow(size);
    const chunk = Buffer.allocUnsafeSlow(Math.min(size, 4 * 1024 * 1024));
    for (let done = 0; done < size; ) {
      const { bytesRead } = await file.read(chunk, 0, Math.min(chunk.length, size - done), done);
      if (bytesRead === 0) break;
      out.set(chunk.subarray(0, bytesRead), done);
      done += bytesRead;
    }
    return out;
  } finally {
    await file.close();
  }
}

/** Writes `parts` to `path` one after another. */
async function writeParts(path: string, parts: readonly Uint8Array[]): Promise<void> {
  const file = await open(path, 'w');
  try {
    for (const p of parts) await file.write(p);
  } finally {
    await file.close();
  }
}

/**
 * Writes an entry whose model is the file at `modelPath`: the head, then the model copied through
 * one small buffer (the checksum computed on the way), then the head again with the checksum.
 */
async function appendModelFile(path: string, key: string, meta: string, modelPath: string): Promise<void> {
  const k = Buffer.from(key, 'utf8');
  const m = Buffer.from(meta, 'utf8');
  const source = await open(modelPath, 'r');
  const target = await open(path, 'w');
  try {
    const { size } = await source.stat();
    if (size <= 0 || size > 0xffffffff) throw new Error('no model file');
    const head = entryHead(k, m, size, 0);
    await target.write(head);
    const chunk = Buffer.allocUnsafe(Math.min(size, 4 * 1024 * 1024));
    let crc = crc32(m, crc32(k));
    for (let done = 0; done < size; ) {
      const { bytesRead } = await source.read(chunk, 0, chunk.length, done);
      if (bytesRead === 0) throw new Error('the model file shrank');
      const piece = chunk.subarray(0, bytesRead);
      crc = crc32(piece, crc);
      await target.write(piece);
      done += bytesRead;
    }
    await target.write(entryHead(k, m, size, crc), 0, head.length, 0);
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
}

/** onnxruntime-node's version, the platform and the execution providers. */
function nodeRuntimeTag(): string {
  const providers = process.env.LUCERNA_EXECUTION_PROVIDERS ?? 'cpu';
  // ORT-format graphs optimised at level `all` carry kernels laid out for this CPU's vector width.
  return `${nodeRuntime.name}@${ortVersion()} ${process.platform}-${process.arch} ${cpus()[0]?.model ?? 'cpu'} ${providers}`;
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
