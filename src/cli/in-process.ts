/**
 * Running a `lucerna` command from a script in this process (benchmarks, `npm run results`): the
 * same parsing, checks and staged outputs as the command line, with the output captured.
 */
import { main } from './main.js';

/**
 * Runs `lucerna <args…> --json` in this process and returns its JSON output; a failed command
 * throws an Error whose message is what it printed on stderr.
 *
 * @example
 * ```ts
 * const summary = await runJson('dataset', 'concepts', '--out', 'concepts', '--n', '120');
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: the JSON of whichever command was run
export async function runJson(...args: string[]): Promise<any> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'lucerna', ...args, '--json'], {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    isTTY: false,
  });
  if (code !== 0) throw new Error(`lucerna ${args.join(' ')} exited with ${code}: ${stderr.trim()}`);
  return JSON.parse(stdout);
}
