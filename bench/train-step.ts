/**
 * Training-step timing alone (see `training.ts`): `node --import tsx bench/train-step.ts [--reps 5]
 * [--batch 32] [--threads 2]`. Prints the medians in ms and the peak RSS in MB as one JSON line (the `training`
 * section of the benchmark runs it in a fresh process).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { timeTrainStep } from './training.js';

const { values } = parseArgs({
  options: { reps: { type: 'string', default: '5' }, batch: { type: 'string', default: '32' }, threads: { type: 'string', default: '2' } },
});
const t = await timeTrainStep(Number(values.batch), Number(values.reps), Number(values.threads));
// VmHWM: this process's own peak (getrusage's would include a parent's size at spawn)
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
console.log(
  JSON.stringify({
    batch: t.batch,
    reps: t.reps,
    forwardMs: Math.round(t.forwardMs),
    floorMs: Math.round(3 * t.forwardMs),
    oneRunMs: Math.round(t.oneRunMs),
    gradsOutMs: Math.round(t.gradsOutMs),
    oneRunCpuMs: Math.round(t.oneRunCpuMs),
    threads: Number(values.threads),
    peakRssMB: hwm ? Math.round(Number(hwm[1]) / 1024) : Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
