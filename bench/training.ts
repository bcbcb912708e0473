/**
 * Training-step timing (issue #13's speed case; section `training` of `npm run bench`, and
 * `bench/train-step.ts` alone): ResNet-18, 10 classes, 64×64, SGD with momentum, BatchNorm in
 * train mode. Two formulations of one step against the forward pass, in the same run:
 * - `multi-run`: forward, loss, backward and the SGD update in one ORT graph, several steps per ORT
 *   run (an ONNX Loop over the step graph; what `lucerna train` runs, src/training/multi-step.ts);
 * - `one-run`: the same graph, one step per ORT run;
 * - `grads-out`: the same graph without the update; the gradients come back to JS, which updates
 *   momentum and weights (PyTorch's formulas, float32);
 * - `forward`: the inference forward pass alone, the unit of the arithmetic floor (≈ 3× forward for
 *   forward + backward).
 * The section runs `train-step.ts` in a fresh process (so its peak RSS is the step's own), then
 * PyTorch's same step (`python/train_step.py`) when `/usr/bin/python3` imports torch; 2 threads each.
 * Then it compares the two in paired rounds of fresh processes (training-rounds.ts): the VM's speed
 * drifts between minutes, so the comparison is the median of per-round ratios, not one reading each.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { nodeRuntime } from '../src/engine/node.js';
import { prepareGraph } from '../src/engine/prepare.js';
import { createModel } from '../src/models/architectures.js';
import { graphFromBytes } from '../src/onnx/builder.js';
import type { Graph } from '../src/onnx/graph.js';
import { encodeModel } from '../src/onnx/proto.js';
import { stepsPerRunFor } from '../src/training/fit.js';
import { sgd } from '../src/training/optimizers/index.js';
import type { Optimizer } from '../src/training/optimizers/types.js';
import { Trainer } from '../src/training/trainer.js';
import { type FetchCost, fetchSentence } from './fetch-cost.js';
import { type Section, table } from './report.js';
import type { SectionOptions } from './sections.js';
import { median, ms, ratio } from './timing.js';
import { roundsTable, runRounds, type StepRound, summarizeRounds } from './training-rounds.js';

const SHAPE = [3, 64, 64];
/** Intra-op threads of every timed session (PyTorch gets the same). */
export const STEP_THREADS = 2;

/** SGD whose graph part only returns the gradient; the update then runs in JS. */
const gradsOut: Optimizer = {
  ...sgd,
  name: 'grads-out',
  slots: () => [],
  emit: (_b, t) => ({ param: t.grad, state: {} }),
};

interface StepCase {
  readonly graph: Graph;
  readonly x: { data: Float32Array; shape: number[] };
  readonly labels: number[];
  readonly reps: number;
  readonly threads: number;
}

/** Per-step median (ms) and mean CPU (ms) of `reps` runs of `perRun` steps each (after 2 warm-up runs, or 1 of several steps). */
async function timeSteps(c: StepCase, optimizer: Optimizer, jsUpdate: boolean, perRun = 1): Promise<{ ms: number; cpuMs: number }> {
  await using trainer = await Trainer.create(c.graph, SHAPE, { runtime: nodeRuntime, optimizer, hyper: { momentum: 0.9 }, session: { threads: c.threads } });
  const buffers = new Map<string, Float32Array>();
  const times: number[] = [];
  let cpu = 0;
  const warmups = perRun > 1 ? 1 : 2;
  for (let r = 0; r < c.reps + warmups; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    if (perRun > 1) await trainer.stepMany(Array.from({ length: perRun }, () => ({ x: c.x, labels: c.labels, lr: 0.01 })));
    else await trainer.step(c.x, c.labels, 0.01);
    if (jsUpdate) {
      // the carried values are the gradients here: apply momentum SGD to copies of the weights
      for (const [name, g] of trainer.values()) {
        const b = buffers.get(name) ?? new Float32Array(g.length);
        for (let i = 0; i < g.length; i++) b[i] = Math.fround(0.9 * (b[i] as number) + (g[i] as number));
        buffers.set(name, b);
      }
    }
    if (r >= warmups) {
      times.push((performance.now() - t0) / perRun);
      const u = process.cpuUsage(c0);
      cpu += (u.user + u.system) / 1000 / perRun;
    }
  }
  return { ms: median(times), cpuMs: cpu / c.reps };
}

async function timeForward(c: StepCase): Promise<number> {
  const prepared = await prepareGraph(nodeRuntime, c.graph, c.x.shape);
  const session = await nodeRuntime.createSession(encodeModel(prepared.graph.toModel()), { threads: c.threads });
  try {
    const times: number[] = [];
    for (let r = 0; r < c.reps + 2; r++) {
      const t0 = performance.now();
      await session.run({ [prepared.graph.primaryInput().name]: c.x });
      if (r >= 2) times.push(performance.now() - t0);
    }
    return median(times);
  } finally {
    await session.dispose();
  }
}

/** The case: ResNet-18 (10 classes, 64×64), a deterministic batch and its labels. */
function stepCase(batch: number, reps: number, threads: number): StepCase {
  return {
    graph: graphFromBytes(createModel('resnet18', { classes: 10, input: [3, 64, 64] })),
    x: { data: new Float32Array(batch * 3 * 64 * 64).map((_, i) => Math.sin(i)), shape: [batch, ...SHAPE] },
    labels: Array.from({ length: batch }, (_, i) => i % 10),
    reps,
    threads,
  };
}

/**
 * Only what `lucerna train` runs: the per-step median (ms) and mean CPU (ms) of `reps` ORT runs of
 * `perRun` steps each, after one warm-up run. One side of a paired round against PyTorch
 * (`train-step.ts --multi-only`).
 *
 * @example
 * ```ts
 * const { ms } = await timeMultiStep(32, 3, 2, 8); // ms per step at 8 steps per ORT run
 * ```
 */
export async function timeMultiStep(batch: number, reps: number, threads: number, perRun: number): Promise<{ ms: number; cpuMs: number }> {
  return timeSteps(stepCase(batch, reps, threads), sgd, false, perRun);
}

/** Medians (ms) of the forward pass and the two step formulations. */
export interface TrainStepTimes {
  readonly batch: number;
  readonly reps: number;
  readonly forwardMs: number;
  readonly oneRunMs: number;
  /** Per step, with `perRun` steps per ORT run: what `lucerna train` runs after its first run (see `stepsPerRunFor`). */
  readonly multiRunMs: number;
  readonly perRun: number;
  /** Mean process CPU ms of one step in the multi-step runs. */
  readonly multiRunCpuMs: number;
  readonly gradsOutMs: number;
  /** Mean process CPU ms (every thread) of one one-run step: with 1 thread, the load-independent work. */
  readonly oneRunCpuMs: number;
}

/**
 * Times one training step of ResNet-18 (64×64, 10 classes) both ways, and the forward pass; the
 * two formulations alternate twice so a changing load hits both alike (best of the two kept).
 *
 * @example
 * ```ts
 * const t = await timeTrainStep(32, 5); // t.oneRunMs / (3 * t.forwardMs): the step against its floor
 * ```
 */
export async function timeTrainStep(batch: number, reps: number, threads = STEP_THREADS, stepsPerRun?: number): Promise<TrainStepTimes> {
  const c = stepCase(batch, reps, threads);
  const forwardMs = await timeForward(c);
  const oneRuns: { ms: number; cpuMs: number }[] = [];
  const multiRuns: { ms: number; cpuMs: number; perRun: number }[] = [];
  const splits: number[] = [];
  for (let round = 0; round < 2; round++) {
    splits.push((await timeSteps(c, gradsOut, true)).ms);
    const one = await timeSteps(c, sgd, false);
    oneRuns.push(one);
    // as many steps per run as `lucerna train` would take after a run at this pace
    const perRun = stepsPerRun ?? stepsPerRunFor(one.ms, 4 * c.x.data.length);
    multiRuns.push({ ...(await timeSteps(c, sgd, false, perRun)), perRun });
  }
  const fastest = <T extends { ms: number }>(xs: T[]) => xs.reduce((a, b) => (b.ms < a.ms ? b : a));
  const [best, multi] = [fastest(oneRuns), fastest(multiRuns)];
  return {
    batch,
    reps,
    forwardMs,
    oneRunMs: best.ms,
    multiRunMs: multi.ms,
    perRun: multi.perRun,
    multiRunCpuMs: multi.cpuMs,
    gradsOutMs: Math.min(...splits),
    oneRunCpuMs: best.cpuMs,
  };
}

/** The profiled breakdown `train-step.ts` prints (ms per step; see step-profile.ts). */
export interface StepBreakdown {
  /** Steps per profiled ORT run (absent in readings from before it was recorded: 1). */
  readonly perRun?: number;
  readonly wallMs: number;
  readonly modelRunMs: number;
  readonly kernelMs: number;
  readonly categories: Readonly<Record<string, number>>;
  /** Kernel ms per step that ran with no parallel section (absent with 1 thread, and in older readings). */
  readonly singleThreadedMs?: number;
}

/** What `train-step.ts` prints: the medians (ms), the profiled breakdown, the unprofiled fetch cost and the process's peak RSS (MB). */
export interface StepRun extends TrainStepTimes {
  readonly peakRssMB: number;
  readonly profile?: StepBreakdown;
  /** Absent in readings from before it was measured. */
  readonly fetch?: FetchCost;
}

/**
 * The "where the time goes" table: each kernel category, ORT's work outside the kernels and the
 * binding's (feeds, and every output copied into a fresh JS array), in ms per step and as a share
 * of the profiled step.
 *
 * @example
 * ```ts
 * breakdownTable({ wallMs: 300, modelRunMs: 270, kernelMs: 260, categories: { 'optimizer update (element-wise)': 20 } });
 * ```
 */
export function breakdownTable(p: StepBreakdown): string {
  const share = (v: number) => `${((100 * v) / p.wallMs).toFixed(1)} %`;
  const rows = Object.entries(p.categories)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => [k, ms(v), share(v)]);
  rows.push(['ORT outside the kernels (model_run − kernels)', ms(p.modelRunMs - p.kernelMs), share(p.modelRunMs - p.kernelMs)]);
  rows.push([
    'the binding and the profiler: feeds in, every output copied to JS, profile events (run() − model_run)',
    ms(p.wallMs - p.modelRunMs),
    share(p.wallMs - p.modelRunMs),
  ]);
  rows.push(['profiled step (JS `run()`)', ms(p.wallMs), '100 %']);
  return table(['where the step goes', 'ms per step', 'share'], rows);
}

/**
 * The sentence on the kernels that ran with no parallel section (what a second thread cannot
 * share), or nothing when the profile has no thread statistics.
 *
 * @example
 * ```ts
 * singleThreaded({ wallMs: 200, modelRunMs: 180, kernelMs: 160, categories: {}, singleThreadedMs: 8 }); // ' Kernels that ran … 8.00 ms per step (5.0 % of kernel time) …'
 * ```
 */
export function singleThreaded(p: StepBreakdown): string {
  if (p.singleThreadedMs === undefined) return '';
  return ` Kernels that ran with no parallel section (ORT's \`thread_scheduling_stats\`: the calling thread alone, which a second thread cannot shorten): ${ms(p.singleThreadedMs)} ms per step (${((100 * p.singleThreadedMs) / p.kernelMs).toFixed(1)} % of kernel time; \`train-step-profile.ts\` lists them).`;
}

/** PyTorch's medians (ms) from `python/train_step.py`, or why there are none. */
export type TorchRun =
  | { readonly torch: string; readonly forwardMs: number; readonly stepMs: number; readonly formats: Record<string, { forwardMs: number; stepMs: number }> }
  | { readonly skipped: string };

function lastJsonLine(stdout: string): unknown {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line);
}

/**
 * The environment `lucerna train` computes in: bin/lucerna.js runs every computing command in a
 * child with glibc's huge-page tunable (ignored where glibc or the kernel lacks it), so our timed
 * process gets it too. PyTorch runs as its users run it.
 */
const LIKE_THE_CLI = { ...process.env, GLIBC_TUNABLES: [process.env.GLIBC_TUNABLES, 'glibc.malloc.hugetlb=1'].filter(Boolean).join(':') };

function runOurs(reps: number, extra: readonly string[] = []): StepRun {
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'train-step.ts'), '--reps', String(reps), ...extra], {
    encoding: 'utf8',
    env: LIKE_THE_CLI,
  });
  if (r.status !== 0) throw new Error(`train-step.ts failed: ${r.stderr}`);
  return lastJsonLine(r.stdout) as StepRun;
}

/** Our side of a paired round: only the multi-step runs, `perRun` steps each, in a fresh process (ms per step). */
function runOursMulti(reps: number, perRun: number): number {
  return (runOurs(reps, ['--multi-only', '--per-run', String(perRun)]) as unknown as { multiRunMs: number }).multiRunMs;
}

/**
 * PyTorch 1.13's step on the same case, if `/usr/bin/python3` has torch (a reference only: nothing
 * else depends on it).
 *
 * @example
 * ```ts
 * const t = runTorch(5); // { torch: '1.13.0a0', forwardMs, stepMs, formats } or { skipped: '…' }
 * ```
 */
export function runTorch(reps: number): TorchRun {
  const python = '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { skipped: `no PyTorch for ${python} (apt install python3-torch)` };
  const script = resolve(import.meta.dirname, 'python', 'train_step.py');
  const r = spawnSync(python, [script, '--batch', '32', '--reps', String(reps), '--threads', String(STEP_THREADS)], { encoding: 'utf8' });
  if (r.status !== 0) return { skipped: `train_step.py failed: ${r.stderr.trim().split('\n').at(-1)}` };
  return lastJsonLine(r.stdout) as TorchRun;
}

/** "1 step", "8 steps". */
const steps = (k: number) => `${k} step${k === 1 ? '' : 's'}`;

/** How many paired rounds the section runs, and each side's timed runs per round. */
const ROUNDS = { full: { rounds: 5, oursRuns: 3, torchSteps: 10 }, quick: { rounds: 2, oursRuns: 2, torchSteps: 3 } };

/**
 * Our multi-step process and PyTorch's (both memory formats, the faster one's step kept, as in the
 * section's table), each fresh, alternating which goes first (training-rounds.ts): one
 * {@link StepRound} per round.
 */
function pairedRounds(plan: (typeof ROUNDS)['full'], perRun: number): StepRound[] {
  return runRounds(plan.rounds, (side, round) => {
    if (side === 'ours') return runOursMulti(plan.oursRuns, perRun);
    const t = runTorch(plan.torchSteps);
    if ('skipped' in t) throw new Error(`PyTorch failed in round ${round + 1}: ${t.skipped}`);
    return t.stepMs;
  });
}

/** The paired rounds' paragraph and table (the section's comparison with PyTorch). */
function pairedSection(plan: (typeof ROUNDS)['full'], perRun: number): string {
  const rounds = pairedRounds(plan, perRun);
  const s = summarizeRounds(rounds);
  return `\n\n**Against PyTorch, paired rounds** (this VM's speed drifts between minutes, so one reading per side is not a comparison): ${plan.rounds} rounds, each a fresh process of ours (\`train-step.ts --multi-only --per-run ${perRun}\`: median of ${plan.oursRuns} ORT runs of ${steps(perRun)} after ${perRun > 1 ? 'a warm-up run' : 'two warm-up runs'}) and one of PyTorch's (\`train_step.py\`: median of ${plan.torchSteps} steps after 2 warm-up steps in each memory format, the faster format's kept), alternating which runs first; each round's ratio is taken between its own two readings. **Our step is ${ratio(s.median)} PyTorch's (median of the rounds; ${s.min.toFixed(2)}–${ratio(s.max)}).**\n\n${roundsTable(rounds)}`;
}

/** The `training` section: one step against three forward passes (its arithmetic floor) and PyTorch's step. */
export async function benchTraining(o: SectionOptions): Promise<Section> {
  const reps = o.quick ? 2 : 5;
  const t = runOurs(reps);
  const torch = runTorch(reps);
  const floor = 3 * t.forwardMs;
  const vs = (mine: number, theirs: number | undefined) => (theirs === undefined ? '' : ratio(mine / theirs));
  const pt = 'skipped' in torch ? undefined : torch;
  const rows = [
    ['forward pass (inference graph)', ms(t.forwardMs), ratio(t.forwardMs / floor), vs(t.forwardMs, pt?.forwardMs)],
    ...(t.multiRunMs === undefined
      ? []
      : [
          [
            `training step, ${steps(t.perRun)} per ORT run (what \`lucerna train\` runs at this pace)`,
            ms(t.multiRunMs),
            ratio(t.multiRunMs / floor),
            vs(t.multiRunMs, pt?.stepMs),
          ],
        ]),
    ['training step, one step per ORT run', ms(t.oneRunMs), ratio(t.oneRunMs / floor), vs(t.oneRunMs, pt?.stepMs)],
    ['training step, gradients out + SGD in JS', ms(t.gradsOutMs), ratio(t.gradsOutMs / floor), vs(t.gradsOutMs, pt?.stepMs)],
  ];
  let note = `PyTorch: skipped (${'skipped' in torch ? torch.skipped : ''}).`;
  if (pt) {
    rows.push([`PyTorch ${pt.torch} forward (eval, no_grad)`, ms(pt.forwardMs), ratio(pt.forwardMs / floor), '1.00×']);
    rows.push([`PyTorch ${pt.torch} training step`, ms(pt.stepMs), ratio(pt.stepMs / floor), '1.00×']);
    const formats = Object.entries(pt.formats)
      .map(([k, v]) => `${k}: step ${ms(v.stepMs)} ms, forward ${ms(v.forwardMs)} ms`)
      .join('; ');
    note = `PyTorch: \`bench/python/train_step.py\` (plain-torch ResNet-18 with the same layers, \`torch.set_num_threads(${STEP_THREADS})\`, \`optim.SGD\` momentum 0.9, \`zero_grad\` + forward + loss + backward + step), the faster of its two memory formats (${formats}).`;
  }
  const body = `ResNet-18 (\`createModel('resnet18')\`, 10 classes), 64×64, batch ${t.batch}, SGD momentum 0.9, BatchNorm in train mode, ${STEP_THREADS} intra-op threads; per-step medians of ${t.reps} ORT runs after 2 warm-up runs (1 for the multi-step runs), best of two alternating rounds, in a fresh process (\`bench/train-step.ts\`, with the huge-page tunable \`lucerna train\` computes with) whose peak RSS was ${Math.round(t.peakRssMB)} MB. ${note}\n\n${table(
    ['what', 'time (ms)', 'ratio to 3 × forward (the floor)', 'ratio to PyTorch (step to step, forward to forward; one reading each, see the paired rounds)'],
    rows,
  )}`;
  const paired = pt ? pairedSection(o.quick ? ROUNDS.quick : ROUNDS.full, t.perRun) : '';
  const breakdown = t.profile
    ? `\n\nWhere one step's time goes: ONNX Runtime's profiler over at least 3 steps, ${t.profile.perRun ?? 1} per ORT run (the binding's cost per run is shared by the run's steps), after a warm-up run in the same fresh process (\`bench/step-profile.ts\`; profiling slows the step a little; \`node --import tsx bench/train-step-profile.ts\` lists ops and nodes). Kernel times by category; "backward" includes the momentum folded into weight-gradient Gemms.${singleThreaded(t.profile)}${fetchSentence(t.fetch)}\n\n${breakdownTable(t.profile)}`
    : '';
  return { title: 'Training step', body: body + paired + breakdown };
}
