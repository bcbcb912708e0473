/**
 * A results script's work folder that is reused, never wiped: every step (generate the data,
 * train, build the graph…) is recorded in `steps.json` with its exact command and its JSON
 * summary. A rerun skips a step whose command is unchanged and whose outputs are still there, and
 * runs a step that has not run yet. It refuses, with one clear line, a folder holding files it did
 * not write, and a step whose outputs exist but were made by another command: it deletes nothing.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const MANIFEST = 'steps.json';

/** What `steps.json` holds: per step, the command that ran and its JSON summary. */
interface Manifest {
  readonly format: 'lucerna-results-work';
  readonly steps: Record<string, { readonly command: readonly string[]; readonly summary: unknown }>;
}

/** A work folder opened by {@link openWorkFolder}. */
export interface WorkFolder {
  readonly path: string;
  /**
   * Runs `run` (which executes `command` and returns its JSON summary) unless the same command
   * already ran here and every one of `outputs` (paths under the folder) still exists; then the
   * recorded summary is returned and `reused` lists the step.
   */
  step<T>(name: string, command: readonly string[], outputs: readonly string[], run: () => Promise<T>): Promise<T>;
  /** Names of the steps that were reused rather than run. */
  readonly reused: readonly string[];
}

/**
 * Opens (or creates) a work folder. Throws an Error with one line when the folder holds files
 * and no `steps.json`: they are someone else's, and this script deletes nothing.
 *
 * @example
 * ```ts
 * const work = await openWorkFolder('/tmp/lucerna-results-qa');
 * const data = await work.step('data', ['dataset', 'parts', '--out', dir], [dir], () => runJson('dataset', 'parts', '--out', dir));
 * ```
 */
export async function openWorkFolder(path: string): Promise<WorkFolder> {
  await mkdir(path, { recursive: true });
  const file = join(path, MANIFEST);
  let manifest: Manifest = { format: 'lucerna-results-work', steps: {} };
  if (existsSync(file)) {
    const read = JSON.parse(await readFile(file, 'utf8')) as Manifest;
    if (read?.format !== manifest.format) throw new Error(`${file} is not a results work record; pass another --work folder`);
    manifest = read;
  } else if ((await readdir(path)).length > 0) {
    throw new Error(`${path} holds files this script did not write (no ${MANIFEST}); pass a new or empty --work folder (nothing is deleted)`);
  }
  const reused: string[] = [];
  return {
    path,
    reused,
    async step<T>(name: string, command: readonly string[], outputs: readonly string[], run: () => Promise<T>): Promise<T> {
      const done = manifest.steps[name];
      const present = outputs.filter((o) => existsSync(o));
      if (done && JSON.stringify(done.command) === JSON.stringify(command) && present.length === outputs.length) {
        reused.push(name);
        return done.summary as T;
      }
      if (present.length > 0)
        throw new Error(
          `${present[0]} exists but ${done ? 'was made by another command' : 'is not recorded'} for step "${name}"; move it away or pass another --work folder (nothing is deleted)`,
        );
      const summary = await run();
      manifest = { ...manifest, steps: { ...manifest.steps, [name]: { command, summary } } };
      await writeFile(file, `${JSON.stringify(manifest, null, 2)}\n`);
      return summary;
    },
  };
}
