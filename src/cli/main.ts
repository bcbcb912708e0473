/**
 * The `lucerna` command line: program wiring only. Each command is one file under `commands/` that
 * exports a {@link CommandSpec} (see `command.ts` and `README.md`); its `run` loads the heavy parts
 * on demand, so `lucerna --help` and `--version` start fast.
 *
 * Run it as `lucerna <command>` (bin/lucerna.js) or, in a checkout, `npm run lucerna -- <command>`.
 */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { type CommandIO, type CommandSpec, type Flags, registerCommand } from './command.js';
import { attackCommand } from './commands/attack.js';
import { attributeCommand } from './commands/attribute.js';
import { biasCommand } from './commands/bias.js';
import { convertCommand } from './commands/convert.js';
import { datasetConceptsCommand } from './commands/dataset-concepts.js';
import { datasetPartsCommand } from './commands/dataset-parts.js';
import { dissectCommand } from './commands/dissect.js';
import { dissectMergeCommand } from './commands/dissect-merge.js';
import { evaluateCommand } from './commands/evaluate.js';
import { explainCommand } from './commands/explain.js';
import { graphBuildCommand } from './commands/graph-build.js';
import { graphLocateCommand } from './commands/graph-locate.js';
import { graphQaCommand } from './commands/graph-qa.js';
import { graphReportCommand } from './commands/graph-report.js';
import { inspectCommand } from './commands/inspect.js';
import { invertCommand } from './commands/invert.js';
import { modelCreateCommand } from './commands/model-create.js';
import { receptiveFieldCommand } from './commands/receptive-field.js';
import { serveCommand } from './commands/serve.js';
import { stabilityCommand } from './commands/stability.js';
import { studioCommand } from './commands/studio.js';
import { topPatchesCommand } from './commands/top-patches.js';
import { trainCommand } from './commands/train.js';
import { treeBuildCommand } from './commands/tree-build.js';
import { treeExplainCommand } from './commands/tree-explain.js';
import { visualizeCommand } from './commands/visualize.js';
import { formatUsageError, runCli } from './errors.js';

/** Every command, in help order. Adding a command is one line here (see src/cli/README.md). */
export const COMMANDS: readonly CommandSpec<never>[] = [
  inspectCommand,
  attributeCommand,
  convertCommand,
  evaluateCommand,
  explainCommand,
  visualizeCommand,
  invertCommand,
  topPatchesCommand,
  receptiveFieldCommand,
  attackCommand,
  datasetPartsCommand,
  stabilityCommand,
  datasetConceptsCommand,
  dissectCommand,
  dissectMergeCommand,
  modelCreateCommand,
  trainCommand,
  graphBuildCommand,
  graphLocateCommand,
  graphQaCommand,
  graphReportCommand,
  treeBuildCommand,
  treeExplainCommand,
  biasCommand,
  serveCommand,
  studioCommand,
];

/** The descriptions of command groups (the first word of a subcommand such as `dataset parts`). */
export const GROUPS: Readonly<Record<string, string>> = {
  dataset: 'generate data sets (part-annotated figures, Broden-format concept sets)',
  graph: 'explanatory graph: mine part patterns from a trained CNN, locate parts from a few examples',
  model: 'create models',
  tree: 'decision trees of prediction rationales',
};

function packageVersion(): string {
  // The same relative path from src/cli/ and from dist/cli/.
  const pkg = createRequire(import.meta.url)('../../package.json') as { version?: string };
  return pkg.version ?? '0.0.0';
}

/** The process's own stdio, with Ctrl-C handled. */
export const processIO: CommandIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: Boolean(process.stderr.isTTY),
  handleSigint: true,
};

/**
 * The commander program with every command registered. Usage errors are printed on one line and
 * thrown (exit code 2) instead of exiting the process.
 *
 * @example
 * ```ts
 * await buildProgram().parseAsync(['node', 'lucerna', 'inspect', 'model.onnx']);
 * ```
 */
export function buildProgram(io: CommandIO = processIO): Command {
  const program = new Command('lucerna')
    .description('Make what a convolutional network has learned visible and checkable')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--debug', 'print stack traces with errors')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: (text, write) => write(formatUsageError(text)) })
    .showSuggestionAfterError(true);
  // Commands are added after the settings above so they inherit them.
  for (const spec of COMMANDS) registerCommand(program, spec as CommandSpec<Flags>, io, GROUPS);
  return program;
}

/**
 * Runs the CLI on `argv` (as in `process.argv`) and returns the exit code: 0, 1 for errors, 2 for
 * usage errors, 130 when cancelled. `--debug` anywhere on the line adds stack traces. Tests pass
 * their own `io` to capture the output and to cancel.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['node', 'lucerna', 'inspect', 'model.onnx', '--json']);
 * ```
 */
export async function main(argv: readonly string[] = process.argv, io: CommandIO = processIO): Promise<number> {
  const debug = argv.includes('--debug');
  const program = buildProgram({ ...io, debug });
  return runCli(() => program.parseAsync([...argv]), { debug, write: io.stderr });
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
