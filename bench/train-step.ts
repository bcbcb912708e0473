/**
 * Training-step timing alone (see `training.ts`): `node --import tsx bench/train-step.ts [--reps 5]
 * [--batch 32] [--threads 2] [--per-run K] [--no-profile] [--multi-only]`
 * (`--per-run`: steps per ORT run of the multi-step formulation; default as `lucerna train` picks them). Prints the medians in ms, a profiled breakdown of the step (step-profile.ts),
 * the unprofiled cost of fetching the carried state (fetch-cost.ts; `--reps` rounds; both skipped with `--no-profile`)
 * and the peak RSS in MB as one JSON line (the `training` section of the benchmark runs it in a fresh process).
 * `--multi-only` (needs `--per-run`) times only the multi-step runs, `--reps` of them after one (at K = 1: two)
 * warm-up, and prints `{ perRun, multiRunMs, multiRunCpuMs, peakRssMB }`: our side of one paired
 * round against PyTorch (training-rounds.ts).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { timeCarriedFetch } from './fetch-cost.js';
import { profileTrainStep } from './step-profile.js';
import { timeMultiStep, timeTrainStep } from './training.js';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    batch: { type: 'string', default: '32' },
    threads: { type: 'string', default: '2' },
    'per-run': { type: 'string' },
    'no-profile': { type: 'boolean', default: false },
    'multi-only': { type: 'boolean', default: false },
  },
});
const perRun = values['per-run'] === undefined ? undefined : Number(values['per-run']);
/** This process's own peak RSS in MB (VmHWM: getrusage's would include a parent's size at spawn). */
const peakRssMB = () => {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return hwm ? Math.round(Number(hwm[1]) / 1024) : Math.round(process.resourceUsage().maxRSS / 1024);
};
if (values['multi-only']) {
  if (perRun === undefined || !Number.isInteger(perRun) || perRun < 1) {
    console.error('error: --multi-only needs --per-run K (a positive integer)');
    process.exit(2);
  }
  const m = await timeMultiStep(Number(values.batch), Number(values.reps), Number(values.threads), perRun);
  console.log(JSON.stringify({ perRun, multiRunMs: Math.round(m.ms * 10) / 10, multiRunCpuMs: Math.round(m.cpuMs), peakRssMB: peakRssMB() }));
  process.exit(0);
}
const t = await timeTrainStep(Number(values.batch), Number(values.reps), Number(values.threads), perRun);
// before the profiled session
const peak = peakRssMB();
// where the time goes (ORT's profiler, at least 3 steps after a warm-up run, as many per run as the
// multi-step timing took; the profiled steps run a little slower)
const p = values['no-profile'] ? undefined : await profileTrainStep(Number(values.batch), Math.ceil(3 / t.perRun), Number(values.threads), t.perRun);
// the carried state's fetch into JS without the profiler (fetch-cost.ts), at the same steps per run
const fetch = values['no-profile'] ? undefined : await timeCarriedFetch(Number(values.batch), Number(values.threads), t.perRun, Number(values.reps));
const round1 = (v: number) => Math.round(v * 10) / 10;
console.log(
  JSON.stringify({
    batch: t.batch,
    reps: t.reps,
    forwardMs: Math.round(t.forwardMs),
    floorMs: Math.round(3 * t.forwardMs),
    oneRunMs: Math.round(t.oneRunMs),
    multiRunMs: Math.round(t.multiRunMs),
    perRun: t.perRun,
    multiRunCpuMs: Math.round(t.multiRunCpuMs),
    gradsOutMs: Math.round(t.gradsOutMs),
    oneRunCpuMs: Math.round(t.oneRunCpuMs),
    threads: Number(values.threads),
    ...(p
      ? {
          profile: {
            perRun: p.perRun,
            wallMs: round1(p.wallMs),
            modelRunMs: round1(p.modelRunMs),
            kernelMs: round1(p.kernelMs),
            ...(p.singleThreadedMs === undefined ? {} : { singleThreadedMs: round1(p.singleThreadedMs) }),
            categories: Object.fromEntries(Object.entries(p.categories).map(([k, v]) => [k, round1(v)])),
          },
        }
      : {}),
    ...(fetch ? { fetch: { wallMs: round1(fetch.wallMs), cpuMs: round1(fetch.cpuMs), perRun: fetch.perRun, rounds: fetch.rounds } } : {}),
    peakRssMB: peak,
  }),
);
