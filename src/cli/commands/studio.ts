/**
 * `lucerna studio [model] [--dataset <dir>] …`: serves the studio web app (docs/studio.md) and
 * the files the user names, on loopback unless `--host` says otherwise.
 */
import { defineCommand } from '../command.js';
import * as flags from '../flags.js';
import type { StudioFlags } from './studio-run.js';

/**
 * `lucerna studio`: the toolkit in a browser tab, with active question-answering part learning.
 *
 * @example
 * ```sh
 * lucerna studio model.onnx --dataset data/parts --graph graph.json --port 8080
 * ```
 */
export const studioCommand = defineCommand<StudioFlags>({
  name: 'studio',
  description: 'serve the studio web app for a model and the folders you name (loopback only by default)',
  arguments: [flags.modelArgument()],
  endsOnSigterm: true,
  options: [
    { flags: '--dataset <dir>', description: 'a dataset folder to browse and annotate (e.g. from lucerna dataset parts)' },
    { flags: '--dissection <result.json>', description: 'a result.json of lucerna dissect, for unit labels' },
    { flags: '--graph <graph.json>', description: 'a graph.json of lucerna graph build, for the graph and QA views' },
    { flags: '--open-folder <dir...>', description: 'more folders the page may read (repeatable)' },
    { flags: '--save-dir <dir>', description: 'folder the page may save part models into (default: none, saving is off)' },
    { flags: '--host <addr>', description: 'address to bind (default 127.0.0.1; anything else is reachable from other machines)' },
    { flags: '--port <n>', description: 'port (default 0: pick a free one and print the URL)' },
    { flags: '--max-upload <mib>', description: 'largest document the page may save, in MiB (default 8)' },
    { flags: '--app <dir>', description: 'the built studio app (default: dist/studio-app of this package)' },
    flags.json('print the URL and settings as JSON when the studio stops'),
  ],
  run: async (ctx, [model], f) => (await import('./studio-run.js')).runStudio(ctx, model, f),
});
