/**
 * `lucerna graph <build|locate>`: the explanatory graph (Zhang et al. 2018, "Interpreting CNN
 * Knowledge via an Explanatory Graph", https://arxiv.org/abs/1708.01785). Each subcommand lives in
 * its own file; this one only groups them.
 */
import type { Command } from 'commander';
import { registerGraphBuild } from './graph-build.js';
import { registerGraphLocate } from './graph-locate.js';

/**
 * Registers `graph` and its subcommands.
 *
 * @example
 * ```ts
 * registerGraph(program); // lucerna graph build … | lucerna graph locate …
 * ```
 */
export function registerGraph(program: Command): void {
  const graph = program.command('graph').description('explanatory graph: mine part patterns from a trained CNN, locate parts from a few examples');
  registerGraphBuild(graph);
  registerGraphLocate(graph);
}
