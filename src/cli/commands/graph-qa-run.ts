/**
 * The work of `lucerna graph qa <graph.json> --simulate <dataset> --part <landmark> --out <dir>`:
 * active question-answering part learning (Zhang et al. 2017, https://arxiv.org/abs/1704.03173)
 * driven by a simulated user (`landmarks.csv`: yes within `--radius`, else a click on the landmark,
 * absent without one). The class images are split by position: even → the pool questions are asked
 * from, odd → the test images the error is measured on (mean normalised distance to the landmark).
 * Per seed, the same initial clicks start an active and a random run; the graph-locate rule (3 best
 * units) from those clicks is the baseline. Writes `<out>/curve.json`. Loaded by `graph-qa.ts`.
 */
import { join } from 'node:path';
import type { ImagePeaks } from '../../disentangle/graph/types.js';
import { meanCurve, qaImages, simulateQa, type TruthImage } from '../../disentangle/qa/index.js';
import { LucernaError } from '../../errors.js';
import type { CommandContext, CommandResult } from '../command.js';
import { parseInteger, parseNumber } from '../parse.js';
import { classImages, graphPeaks, openGraphModel, readGraph } from './graph-io.js';

/** Flags of `lucerna graph qa`. */
export interface GraphQaFlags {
  readonly simulate: string;
  readonly part: string;
  readonly out: string;
  readonly questions?: string;
  readonly initial?: string;
  readonly seeds?: string;
  readonly radius?: string;
  readonly committee?: string;
  readonly filters?: boolean;
  readonly model?: string;
  readonly class?: string;
  readonly batchSize?: string;
  readonly json?: boolean;
}

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/**
 * Runs the command; returns the summary.
 *
 * @example
 * ```ts
 * const { json } = await runGraphQa(ctx, 'g/graph.json', { simulate: 'data', part: 'head', out: 'qa' });
 * ```
 */
export async function runGraphQa(ctx: CommandContext, graphPath: string, flags: GraphQaFlags): Promise<CommandResult> {
  const questions = parseInteger(flags.questions, '--questions', 0) ?? 20;
  const initial = parseInteger(flags.initial, '--initial', 0) ?? 3;
  const seeds = parseInteger(flags.seeds, '--seeds', 1) ?? 5;
  const radius = parseNumber(flags.radius, '--radius', 0) ?? 3;
  const committee = parseInteger(flags.committee, '--committee', 1) ?? 5;
  const batchSize = parseInteger(flags.batchSize, '--batch-size', 1) ?? 8;
  const graph = await readGraph(graphPath);
  const className = flags.class ?? graph.class;
  if (className === undefined) throw new LucernaError('BAD_OPTION', 'The graph records no class', 'Pass --class');
  const { opened: graphModel, preprocessing } = await openGraphModel(graph, flags.model, 'lucerna graph qa');
  await using opened = graphModel;
  const images = await classImages(flags.simulate, className, initial + 2, opened.model, preprocessing);
  if (!images.some((im) => im.landmarks.has(flags.part)))
    throw new LucernaError('BAD_OPTION', `No image of class "${className}" in ${flags.simulate} has the landmark "${flags.part}"`);
  const peaks = await graphPeaks(ctx, 'graph qa', graph, opened.model, images, preprocessing, batchSize, flags.json);
  const units = qaImages(
    flags.filters ? null : graph,
    images.map((im, i) => ({ id: im.image, peaks: peaks[i] as ImagePeaks, scale: im.scale })),
  );
  const all: TruthImage[] = units.map((u, i) => {
    const im = images[i] as (typeof images)[number];
    const t = im.landmarks.get(flags.part);
    return { ...u, truth: t ? [t[0] / (im.scale[0] as number), t[1] / (im.scale[1] as number)] : null };
  });
  const inputSize: [number, number] = [preprocessing.size[0], preprocessing.size[1]];
  const curves = await simulateQa({
    pool: all.filter((_, i) => i % 2 === 0),
    test: all.filter((_, i) => i % 2 === 1),
    inputSize,
    seeds: Array.from({ length: seeds }, (_, i) => i),
    questions,
    initial,
    radius,
    committee,
    signal: ctx.signal,
  });
  const active = meanCurve(curves.active);
  const random = meanCurve(curves.random);
  const baseline = initial > 0 ? mean(curves.baseline) : null;
  const json = {
    part: flags.part,
    class: className,
    units: flags.filters ? 'filters' : 'nodes',
    pool: Math.ceil(all.length / 2),
    test: Math.floor(all.length / 2),
    settings: { questions, initial, seeds, radius, committee },
    error: { active, random, baseline },
    perSeed: { active: curves.active, random: curves.random, baseline: initial > 0 ? curves.baseline : null },
    answers: curves.answers,
  };
  await ctx.outputs.write(join(flags.out, 'curve.json'), `${JSON.stringify(json, null, 2)}\n`);
  const last = active.length - 1;
  return {
    json,
    message: `graph qa ${flags.part}: after ${last} questions (mean of ${seeds} seeds) active ${active[last]?.toFixed(4)}, random ${random[last]?.toFixed(4)}${baseline === null ? '' : `, ${initial}-click locate baseline ${baseline.toFixed(4)}`} → ${join(flags.out, 'curve.json')}`,
  };
}
