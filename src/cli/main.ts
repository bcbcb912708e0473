/**
 * The `lucerna` command line: program wiring only. Each command lives in its own file under
 * `commands/` and calls the library; errors are reported by `errors.ts`.
 *
 * Run it as `lucerna <command>` (bin/lucerna.js) or, in a checkout, `npm run lucerna -- <command>`.
 */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { nodeRuntime } from '../engine/node.js';
import { setDefaultRuntime } from '../engine/runtime.js';
import { registerAttack } from './commands/attack.js';
import { registerAttribute } from './commands/attribute.js';
import { registerBias } from './commands/bias.js';
import { registerConvert } from './commands/convert.js';
import { registerDatasetParts } from './commands/dataset-parts.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerExplain } from './commands/explain.js';
import { registerInspect } from './commands/inspect.js';
import { registerInvert } from './commands/invert.js';
import { registerModelCreate } from './commands/model-create.js';
import { registerStability } from './commands/stability.js';
import { registerTopPatches } from './commands/top-patches.js';
import { registerTrain } from './commands/train.js';
import { registerVisualize } from './commands/visualize.js';
import { formatUsageError, runCli } from './errors.js';

function packageVersion(): string {
  // The same relative path from src/cli/ and from dist/cli/.
  const pkg = createRequire(import.meta.url)('../../package.json') as { version?: string };
  return pkg.version ?? '0.0.0';
}

/**
 * The commander program with every command registered. Usage errors are printed on one line and
 * thrown (exit code 2) instead of exiting the process.
 *
 * @example
 * ```ts
 * await buildProgram().parseAsync(['node', 'lucerna', 'inspect', 'model.onnx']);
 * ```
 */
export function buildProgram(): Command {
  setDefaultRuntime(nodeRuntime);
  const program = new Command('lucerna')
    .description('Make what a convolutional network has learned visible and checkable')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--debug', 'print stack traces with errors')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(formatUsageError(text)) })
    .showSuggestionAfterError(true);
  // Commands are added after the settings above so they inherit them.
  registerInspect(program);
  registerAttribute(program);
  registerConvert(program);
  registerEvaluate(program);
  registerExplain(program);
  registerVisualize(program);
  registerInvert(program);
  registerTopPatches(program);
  registerAttack(program);
  registerDatasetParts(program);
  registerStability(program);
  registerBias(program);
  registerTrain(program);
  registerModelCreate(program);
  return program;
}

/**
 * Runs the CLI on `argv` (as in `process.argv`) and returns the exit code: 0, 1 for errors, 2 for
 * usage errors. `--debug` anywhere on the line adds stack traces.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['node', 'lucerna', 'inspect', 'model.onnx', '--json']);
 * ```
 */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const program = buildProgram();
  return runCli(() => program.parseAsync([...argv]), { debug: argv.includes('--debug') });
}

function isEntryModule(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryModule()) {
  main().then((code) => {
    process.exitCode = code;
  });
}
