/**
 * The explanatory graph at real size, for the graph section of RESULTS.md: the bundled MobileNetV2
 * (nsfwjs weights, a trained network, 224 px) mined on the bird images of a 224-px parts set,
 * with its build time (wall and CPU), its view (`graph report`, checked in Chromium) and 3-shot
 * localisation of every part against the baselines.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runJson } from '../../src/cli/in-process.js';
import { checkGraphView } from './graph-view-check.js';

/** Settings of the run (the benchmark's, `bench/graph.ts`). */
export const MOBILENET_GRAPH = {
  dataArgs: ['--n', '120', '--seed', '1', '--size', '224', '--classes', '1'],
  /** Expansion convolutions of the top blocks (14×14, 14×14, 7×7, 7×7), lower → top. */
  layers: ['block_12_expand', 'block_13_expand', 'block_15_expand', 'block_16_expand'],
  patterns: '2,2,1,1',
  parts: ['head', 'beak_tip', 'tail_tip', 'legs'],
  screenshot: 'docs/results/graph-mobilenet.jpg',
} as const;

const f4 = (v: number) => v.toFixed(4);

/**
 * CPU seconds (user + system) of this process since `start`, to one decimal.
 *
 * @example
 * ```ts
 * const c0 = process.cpuUsage();
 * cpuSeconds(c0); // 0.1
 * ```
 */
export function cpuSeconds(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return Math.round((u.user + u.system) / 1e5) / 10;
}

/**
 * Runs it in `work` and returns the markdown subsection.
 *
 * @example
 * ```ts
 * const md = await mobileNetRun('/tmp/lucerna-results-graph/mobilenet');
 * ```
 */
export async function mobileNetRun(work: string): Promise<string> {
  const M = MOBILENET_GRAPH;
  await mkdir(work, { recursive: true });
  const data = join(work, 'parts');
  if (!existsSync(join(work, 'parts.json'))) {
    await rm(data, { recursive: true, force: true });
    await writeFile(join(work, 'parts.json'), JSON.stringify(await runJson('dataset', 'parts', '--out', data, ...M.dataArgs)));
  }
  const out = join(work, 'graph');
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  // biome-ignore format: one flag and its value per line
  const built = await runJson('graph', 'build', 'bundled',
    '--dataset', data,
    '--class', 'bird',
    '--layer', M.layers.join(','),
    '--patterns', M.patterns,
    '--out', out,
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  const graph = join(out, 'graph.json');
  const page = join(out, 'graph.html');
  const report = await runJson('graph', 'report', graph, '--dataset', data, '--out', page);
  const view = await checkGraphView(page, M.screenshot);
  const rows: string[] = [];
  let wins = 0;
  for (const part of M.parts) {
    const t1 = performance.now();
    const l = await runJson('graph', 'locate', graph, '--dataset', data, '--part', part, '--shots', '3', '--out', join(work, `locate-${part}`));
    const perImage = (performance.now() - t1) / (l.heldOut + 3);
    const e = l.error as { graph: number; filter: number; filterWithPrior: number; template: number; mean: number };
    const beats = e.graph < e.filter && e.graph < e.mean;
    if (beats) wins++;
    rows.push(
      `| ${part} | ${l.heldOut} | ${f4(e.graph)} | ${f4(e.filter)} | ${f4(e.template)} (${l.templateLayer}) | ${f4(e.mean)} | ${beats ? 'yes' : 'no'} | ${f4(e.filterWithPrior)} | ${perImage.toFixed(0)} |`,
    );
  }
  const viewLine = view.error
    ? `The view was not checked: ${view.error}.`
    : `In headless Chromium (1,400 × 900 px) the page drew ${view.nodes} nodes and ${view.edges} edges with ${view.images} patch images (${view.brokenImages} failed to load); a click on a node ${view.clickShowsDetail ? 'showed its detail' : 'did NOT show its detail'} and highlighted ${view.highlightedEdges} of its edges. Screenshot: [${M.screenshot}](${M.screenshot}).`;
  return `### Real size: the bundled MobileNetV2 at 224 px

\`lucerna dataset parts --out parts ${M.dataArgs.join(' ')}\` (${built.images} bird images), then
\`\`\`
lucerna graph build bundled --dataset parts --class bird --layer ${M.layers.join(',')} --patterns ${M.patterns} --out g
lucerna graph report g/graph.json --dataset parts --out g/graph.html
lucerna graph locate g/graph.json --dataset parts --part <part> --shots 3 --out loc
\`\`\`
The build mined ${built.nodes} nodes and ${built.edges} edges (${built.layers.length} layers, MobileNetV2's trained nsfwjs weights) in ${wall.toFixed(1)} s wall-clock and ${cpu} s CPU (user + system, this process; the machine was shared, so the CPU time is the steadier number). On a terminal it shows a progress bar over the images and the EM steps, and Ctrl-C stops it within one EM step (exit 130, nothing written).
\`graph report\` drew ${report.shownNodes} nodes and ${report.shownEdges} edges from ${report.images} images in ${report.seconds} s. ${viewLine}

| part | held-out images | graph | best single filter | feature template (layer) | mean position | graph beats filter and mean position | best filter + prior | locate per image (ms) |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

- The graph beats the best single filter and the mean position on ${wins} of ${M.parts.length} parts. (Locate time includes opening the model and every image's forward pass.)
`;
}
