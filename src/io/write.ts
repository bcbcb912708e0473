/**
 * Writing output files safely.
 *
 * - {@link checkOutputPath} says at once (before any compute) whether a path can be written: its
 *   folder exists or can be made, is writable, and is not under a regular file, `/proc` or `/sys`.
 * - {@link writeFileAtomic} writes into a temporary file beside the target and renames it, so a
 *   failed run never leaves a half-written file and never clobbers a good one.
 * - {@link StagedOutputs} holds every file of a run as temporaries until the run succeeds, then
 *   renames them all; a failed or cancelled run leaves nothing behind.
 */
import { accessSync, constants, mkdirSync, rmSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { LucernaError } from '../errors.js';

/** Virtual file systems nothing is ever written under. */
const VIRTUAL_ROOTS = ['/proc', '/sys'];

/** What an output path names: a file, or a folder that receives several files. */
export type OutputKind = 'file' | 'folder';

function cannotWrite(path: string, why: string, hint = 'Choose a folder you can write to'): LucernaError {
  return new LucernaError('BAD_FILE', `Cannot write ${path}: ${why}`, hint);
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Checks that `path` can be written, without creating anything: not under `/proc` or `/sys`; a file
 * path that is not a folder (a folder path that is not a file); and the nearest existing ancestor
 * is a writable folder (not a regular file). Fails with a one-line `BAD_FILE` (or `BAD_OPTION` for
 * a file/folder mix-up) that names the path.
 *
 * @example
 * ```ts
 * checkOutputPath('out/attr.npy', 'file', '--out'); // throws at once when out/ cannot be made
 * ```
 */
export function checkOutputPath(path: string, kind: OutputKind = 'file', flag = 'the output'): void {
  const full = resolve(path);
  if (VIRTUAL_ROOTS.some((root) => full === root || full.startsWith(`${root}${sep}`))) {
    throw cannotWrite(path, `${full.split(sep).slice(0, 2).join(sep)} is a virtual file system`);
  }
  const existing = statOrUndefined(full);
  if (existing) {
    if (kind === 'file' && existing.isDirectory()) throw new LucernaError('BAD_OPTION', `${flag} ${path} is a folder`, 'Pass a file name');
    if (kind === 'folder' && !existing.isDirectory()) throw new LucernaError('BAD_OPTION', `${flag} ${path} is a file`, 'Pass a folder name');
  }
  let ancestor = kind === 'folder' && existing ? full : dirname(full);
  let info = statOrUndefined(ancestor);
  while (!info && dirname(ancestor) !== ancestor) {
    ancestor = dirname(ancestor);
    info = statOrUndefined(ancestor);
  }
  if (!info) throw cannotWrite(path, 'no part of its folder exists');
  if (!info.isDirectory()) throw cannotWrite(path, `${ancestor} is a file, not a folder`, 'Choose a path under a folder');
  try {
    accessSync(ancestor, constants.W_OK);
  } catch {
    throw cannotWrite(path, `the folder ${ancestor} is not writable`);
  }
}

/**
 * A hidden, unique sibling of `path` to write into before renaming into place (a file, or a folder
 * a command fills): the rename stays on one file system, and a reader never sees a half-written path.
 *
 * @see https://arxiv.org/abs/1802.00614
 * @example
 * ```ts
 * temporaryBeside('/data/parts'); // '/data/.parts.4242.1764850000000.k3j9zq.tmp'
 * ```
 */
export function temporaryBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2, 8)}.tmp`);
}

/**
 * Writes bytes atomically (temporary file beside the target, then rename). The path is checked
 * first, so a path under `/proc`, `/sys` or a regular file fails at once instead of hanging.
 *
 * @example
 * ```ts
 * await writeFileAtomic('out/attr.npy', serializeNpy(attribution));
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  checkOutputPath(path);
  const tmp = temporaryBeside(path);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code;
    throw cannotWrite(path, code ?? (e as Error).message);
  }
}

/**
 * The files of one run, held as temporaries beside their targets until {@link commit}; then every
 * one is renamed into place. {@link discard} (on failure or Ctrl-C) removes the temporaries and the
 * folders the run created, so nothing is left behind. Safe to call `discard` from a signal handler:
 * it is synchronous.
 *
 * @example
 * ```ts
 * const outputs = new StagedOutputs();
 * await outputs.write('out/report.html', html);
 * await outputs.commit(); // ['out/report.html']
 * ```
 */
export class StagedOutputs {
  readonly #staged = new Map<string, string>();
  readonly #createdFolders: string[] = [];
  readonly #stagingFolders: string[] = [];
  readonly #written: string[] = [];

  /** The files renamed into place so far. */
  get written(): readonly string[] {
    return this.#written;
  }

  /** Stages `data` for `path` (a later write to the same path replaces it). */
  async write(path: string, data: Uint8Array | string): Promise<void> {
    checkOutputPath(path);
    const dir = dirname(path);
    try {
      const created = mkdirSync(dir, { recursive: true });
      if (created) this.#createdFolders.push(created);
      const previous = this.#staged.get(path);
      const tmp = previous ?? temporaryBeside(path);
      this.#staged.set(path, tmp);
      await writeFile(tmp, data);
    } catch (e) {
      throw cannotWrite(path, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
    }
  }

  /**
   * Names a folder the command fills and renames into place itself (a data set's hidden sibling
   * folder): {@link discard} removes it if it is still there, so a Ctrl-C whose own cleanup is cut
   * short by the grace period leaves nothing either.
   */
  stagingFolder(folder: string): void {
    this.#stagingFolders.push(folder);
  }

  /** Renames every staged file into place; returns the paths written. */
  async commit(): Promise<string[]> {
    for (const [path, tmp] of this.#staged) {
      try {
        await rename(tmp, path);
      } catch (e) {
        throw cannotWrite(path, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
      }
      this.#staged.delete(path);
      this.#written.push(path);
    }
    return [...this.#written];
  }

  /** Removes the staged temporaries and the (then empty) folders this run created. */
  discard(): void {
    for (const tmp of this.#staged.values()) rmSync(tmp, { force: true });
    this.#staged.clear();
    for (const folder of this.#stagingFolders) rmSync(folder, { recursive: true, force: true });
    this.#stagingFolders.length = 0;
    for (const folder of this.#createdFolders.reverse()) {
      if (this.#written.some((w) => w.startsWith(`${folder}${sep}`))) continue;
      rmSync(folder, { recursive: true, force: true });
    }
    this.#createdFolders.length = 0;
  }
}
