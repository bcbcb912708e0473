/**
 * The work of `lucerna graph qa <graph.json> --simulate <dataset> --part <landmark> --out <dir>`:
 * active question-answering part learning (Zhang et al. 2017, https://arxiv.org/abs/1704.03173)
 * driven by a simulated user (`landmarks.csv`: yes within `--radius`, else a click on the landmark,
 * absent without one). The class images are split by position: even → the pool questions are asked
 * from, odd → the test images the error is measured on (mean normalised distance to the landmark).
 * Per seed, the same initial clicks start an active and a random run; the graph-locate rule (3 best
 * units) from those clicks is the baseline. Writes `<out>/curve.json`. Loaded by `graph-qa.ts`.
 *
 * Units are raw filters of the graph's layers by default (`--units filters`): on the RESULTS.md
 * data, active selection clearly beats random with them and only narrowly with graph nodes
 * (docs/qa.md). The images are read as the model's own preprocessing says (its sidecar, else the
 * model's default; a centre crop included), as the studio reads them, and every landmark is mapped
 * through that crop (`imageFrame`); a landmark the crop cuts away counts as not visible.
 */
import { join } from 'node:path';
import type { ImagePeaks } from '../../disentangle/graph/types.js';
import { imageFrame, insideModel, meanCurve, PART_MODEL_DEFAULTS, qaImages, selectionMargin, simulateQa, type TruthImage } from '../../disentangle/qa/index.js';
import { LucernaError } from '../../errors.js';
import type { CommandContext, CommandResult } from '../command.js';
import { pixelSettings } from '../model.js';
import { parseChoice, parseInteger, parseNumber } from '../parse.js';
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
  readonly units?: string;
  readonly filters?: boolean;
  readonly model?: string;
  readonly class?: string;
  readonly batchSize?: string;
  readonly json?: boolean;
}

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/** `--units` (default filters); `--filters`, the old spelling, is the same as `--units filters`. */
function unitKind(flags: GraphQaFlags): 'nodes' | 'filters' {
  const units = parseChoice(flags.units, '--units', ['nodes', 'filters'] as const) ?? 'filters';
  if (flags.filters && units === 'nodes') throw new LucernaError('BAD_OPTION', '--filters and --units nodes contradict each other', 'Pass one of them');
  return units;
}

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
  const committee = parseInteger(flags.committee, '--committee', 1) ?? PART_MODEL_DEFAULTS.committee;
  const batchSize = parseInteger(flags.batchSize, '--batch-size', 1) ?? 8;
  const units = unitKind(flags);
  const graph = await readGraph(graphPath);
  const className = flags.class ?? graph.class;
  if (className === undefined) throw new LucernaError('BAD_OPTION', 'The graph records no class', 'Pass --class');
  const { opened: graphModel } = await openGraphModel(graph, flags.model, 'lucerna graph qa');
  await using opened = graphModel;
  const { preprocessing } = pixelSettings(opened, 'lucerna graph qa');
  const images = await classImages(flags.simulate, className, initial + 2, opened.model, preprocessing);
  if (!images.some((im) => im.landmarks.has(flags.part))) {
    const names = [...new Set(images.flatMap((im) => [...im.landmarks.keys()]))].sort();
    throw new LucernaError(
      'BAD_OPTION',
      `No image of class "${className}" in ${flags.simulate} has the landmark "${flags.part}"`,
      names.length ? `Its images have: ${names.join(', ')}` : 'Its images have no landmarks (landmarks.csv)',
    );
  }
  const peaks = await graphPeaks(ctx, 'graph qa', graph, opened.model, images, preprocessing, batchSize, flags.json);
  const inputSize: [number, number] = [preprocessing.size[0], preprocessing.size[1]];
  // classImages gives stretch scales (input / natural size) and landmarks in stretched px: undo both.
  const framed = images.map((im) => {
    const [sx, sy] = im.scale as [number, number];
    const t = im.landmarks.get(flags.part);
    const frame = imageFrame([inputSize[1] / sx, inputSize[0] / sy], inputSize, preprocessing.resize);
    const truth: [number, number] | null = t ? [t[0] / sx, t[1] / sy] : null;
    return { frame, truth: truth && insideModel(frame, truth, inputSize) ? truth : null };
  });
  const all: TruthImage[] = qaImages(
    units === 'filters' ? null : graph,
    images.map((im, i) => ({ id: im.image, peaks: peaks[i] as ImagePeaks, ...(framed[i] as (typeof framed)[number]).frame })),
  ).map((u, i) => ({ ...u, truth: framed[i]?.truth ?? null }));
  if (!all.some((im) => im.truth))
    throw new LucernaError('BAD_OPTION', `Every "${flags.part}" landmark of class "${className}" falls outside the model's ${preprocessing.resize} window`);
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
  const margin = selectionMargin(active, random);
  const json = {
    part: flags.part,
    class: className,
    units,
    resize: preprocessing.resize,
    pool: Math.ceil(all.length / 2),
    test: Math.floor(all.length / 2),
    settings: { questions, initial, seeds, radius, committee },
    error: { active, random, baseline },
    /** Questions each selection needs to reach, and stay at, random selection's final error. */
    margin,
    perSeed: { active: curves.active, random: curves.random, baseline: initial > 0 ? curves.baseline : null },
    answers: curves.answers,
  };
  await ctx.outputs.write(join(flags.out, 'curve.json'), `${JSON.stringify(json, null, 2)}\n`);
  const last = active.length - 1;
  const reach = `to reach ${margin.error.toFixed(4)} random needs ${margin.random} questions, active ${margin.active ?? `more than ${last}`}`;
  return {
    json,
    message: `graph qa ${flags.part} (${units}): after ${last} questions (mean of ${seeds} seeds) active ${active[last]?.toFixed(4)}, random ${random[last]?.toFixed(4)}${baseline === null ? '' : `, ${initial}-click locate baseline ${baseline.toFixed(4)}`}; ${reach} → ${join(flags.out, 'curve.json')}`,
  };
}
