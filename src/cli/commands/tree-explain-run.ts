/**
 * The work of `lucerna tree explain <tree.json> [MODEL] --input x.png [--json]`: the decision path of one
 * image in a rationale tree (Zhang et al., CVPR 2019, https://arxiv.org/abs/1802.00121): at each
 * level, the node taken, its cosine with the image's rationale, its predicted score and relative
 * error, and the filters that contributed most with their percentages. The image is read as
 * `tree build` reads data-set images (resized to the input, scaled to [0, 1]). A tree built from
 * another model (different SHA-256) is refused. Loaded by `tree-explain.ts` when the command runs.
 */
import { readFile } from 'node:fs/promises';
import { parseTreeFile } from '../../disentangle/tree/format.js';
import { decisionPath, type PathStep } from '../../disentangle/tree/infer.js';
import { type FilterPeaks, filterPeaks } from '../../disentangle/tree/patches.js';
import { computeRationales } from '../../disentangle/tree/rationale.js';
import { LucernaError } from '../../errors.js';
import { loadImageTensor } from '../../io/image.js';
import { readError } from '../../io/read-error.js';
import type { CommandContext, CommandResult } from '../command.js';
import { modelSha256, openModel } from '../model.js';
import { parseInteger } from '../parse.js';
import { imageSampleShape } from './tree-build-run.js';

/** Flags of `lucerna tree explain`. */
export interface TreeExplainFlags {
  readonly input: string;
  readonly top?: string;
  readonly out?: string;
  readonly reportDepth?: string;
  /** tally.csv of a part dissection of the tree's layer: names the report's filters. */
  readonly parts?: string;
  readonly json?: boolean;
}

function describeStep(s: PathStep): string {
  const top = s.top.map((c) => `filter ${c.filter} ${c.percent.toFixed(1)}%`).join(', ');
  return `depth ${s.depth}: node ${s.node} (cos ${s.similarity.toFixed(3)}, predicted ${s.predicted.toFixed(3)}, error ${(100 * s.relativeError).toFixed(1)}%): ${top}`;
}

/** Where on the path a filter is a top contributor: each node with its share, or the range for a long path. */
function stepsCaption(at: readonly [node: number, percent: number][]): string[] {
  if (at.length <= 3) return at.map(([n, p]) => `node ${n}: ${p.toFixed(1)} %`);
  const shares = at.map(([, p]) => p);
  return [`nodes ${at[0]?.[0]} … ${at.at(-1)?.[0]} (${at.length} steps): ${Math.min(...shares).toFixed(1)}–${Math.max(...shares).toFixed(1)} %`];
}

/**
 * Runs `tree explain` and returns the path.
 *
 * @example
 * ```ts
 * const { json } = await runTreeExplain(ctx, 't/tree.json', 'm.onnx', { input: 'x.png' });
 * ```
 */
export async function runTreeExplain(ctx: CommandContext, treePath: string, modelPath: string | undefined, flags: TreeExplainFlags): Promise<CommandResult> {
  const top = parseInteger(flags.top, '--top', 1) ?? 5;
  const reportDepth = parseInteger(flags.reportDepth, '--report-depth', 0) ?? 3;
  if (flags.parts && !flags.out) throw new LucernaError('BAD_OPTION', '--parts names the filters of the report: add --out <report.html>');
  let text: string;
  try {
    text = await readFile(treePath, 'utf8');
  } catch (e) {
    throw readError(e, `the tree file ${treePath}`);
  }
  await using opened = await openModel(modelPath);
  const m = opened.model;
  const sha256 = await modelSha256(opened);
  const tree = parseTreeFile(text, sha256);
  const sampleShape = imageSampleShape(m);
  const image = await loadImageTensor(flags.input, { inputDims: [1, ...sampleShape], resize: 'stretch', normalization: 'unit' });
  const source = { count: 1, fill: (_row: number, buf: Float32Array) => buf.set(image.tensor.data) };
  let peaks: FilterPeaks | undefined;
  let maps: { activation: Float32Array; map: { channels: number; height: number; width: number } } | undefined;
  const onMaps = (_row: number, a: Float32Array, map: { channels: number; height: number; width: number }) => {
    peaks = filterPeaks(a, map);
    maps = { activation: a.slice(), map };
  };
  const [rationale] = await computeRationales(m, sampleShape, source, {
    layer: tree.layer,
    target: tree.class.index,
    batchSize: 1,
    signal: ctx.signal,
    onMaps,
  });
  if (!rationale) throw new LucernaError('RUNTIME_ERROR', 'No rationale was computed');
  const path = decisionPath(tree, rationale, top);
  const head = `Class "${tree.class.name}" score ${rationale.score.toFixed(3)}; decision path of ${flags.input}:`;
  if (flags.out) {
    const { treeReportPage } = await import('../../render/tree/report.js');
    const { imagePatches } = await import('./tree-patches.js');
    const k = Math.min(top, 5);
    const onPath = new Set(path.map((s) => s.node));
    const patches = peaks
      ? await imagePatches(
          flags.input,
          peaks,
          path.flatMap((s) => s.top.slice(0, k).map((c) => c.filter)),
          [sampleShape[1], sampleShape[2]],
        )
      : new Map();
    const filterName = flags.parts ? await (await import('./tree-parts.js')).filterPartNames(flags.parts, tree.filters) : undefined;
    const { pathHeatmaps } = await import('./tree-patches.js');
    const where = new Map<number, [number, number][]>();
    for (const st of path) for (const c of st.top.slice(0, k)) if (c.value > 0) where.set(c.filter, [...(where.get(c.filter) ?? []), [st.node, c.percent]]);
    const name = filterName ?? ((f: number) => `filter ${f}`);
    const heat = maps
      ? await pathHeatmaps(
          flags.input,
          maps.activation,
          maps.map,
          [...where.entries()].map(([f, at]) => [f, stepsCaption(at)] as const),
          [sampleShape[1], sampleShape[2]],
          name,
        )
      : undefined;
    const html = await treeReportPage(tree, {
      filterName,
      sections: heat
        ? [
            {
              title: 'Where the contributing filters fire',
              body: `<p class="muted">Each filter that contributes positively somewhere on the path: its activation on this image (bilinear from the ${maps?.map.height}×${maps?.map.width} map), over the image in grey, all on one scale; the caption lists the path nodes where it is a top contributor and its share there.</p>${heat}`,
            },
          ]
        : [],
      patch: (node, filter) => (onPath.has(node) ? patches.get(filter) : undefined),
      title: `Decision path: ${tree.class.name}`,
      subtitle: `${flags.input}: score ${rationale.score.toFixed(3)}, ${path.length} levels, layer ${tree.layer} (Zhang et al., CVPR 2019)`,
      path,
      topK: k,
      maxDepth: reportDepth,
      settings: { tree: treePath, model: modelPath ?? 'bundled', input: flags.input, class: tree.class.name, layer: tree.layer, ...tree.options },
    });
    await ctx.outputs.write(flags.out, html);
  }
  const lines = [head, ...path.map(describeStep), ...(flags.out ? [`Wrote ${flags.out}`] : [])];
  return { json: { class: tree.class, score: rationale.score, path, ...(flags.out ? { report: flags.out } : {}) }, message: lines.join('\n') };
}
