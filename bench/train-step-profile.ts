/**
 * Where the training step's time goes: ORT's profiler over a few steps of the case
 * (ResNet-18, 10 classes, 64×64, SGD momentum, BatchNorm in train mode; step-profile.ts), summed by
 * category, op type and node. Run: `node --import tsx bench/train-step-profile.ts [--batch 32]
 * [--steps 3] [--threads 2] [--top 25] [--per-run 1]` (`--per-run K`: the multi-step session, K steps per
 * ORT run, at least `--steps` steps after a warm-up run). With `--threads 1` on a loaded machine the shares are
 * steadier than the milliseconds. With 2 or more threads it also sums the kernels that ran no parallel
 * section (ORT's `thread_scheduling_stats`): the work the second thread cannot share.
 */
import { parseArgs } from 'node:util';
import { profileTrainStep } from './step-profile.js';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    top: { type: 'string', default: '25' },
    'per-run': { type: 'string', default: '1' },
  },
});
const perRun = Math.max(1, Number(values['per-run']));
const p = await profileTrainStep(Number(values.batch), Math.ceil(Number(values.steps) / perRun), Number(values.threads), perRun);
const per = (us: number) => us / p.runs / 1000;
const sum = (key: (e: (typeof p.events)[number]) => string) => {
  const m = new Map<string, number>();
  for (const e of p.events) m.set(key(e), (m.get(key(e)) ?? 0) + per(e.dur));
  return m;
};
const show = (m: Map<string, number>, n: number) => {
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`${v.toFixed(1).padStart(8)} ms ${((100 * v) / p.kernelMs).toFixed(1).padStart(5)} %  ${k}`);
  }
};
console.log(
  `step graph: ${p.nodes} nodes, ${p.perRun} steps per run; per step: JS run() ${p.wallMs.toFixed(0)} ms, ORT model_run ${p.modelRunMs.toFixed(0)} ms, kernels ${p.kernelMs.toFixed(0)} ms (profiled)`,
);
if (p.singleThreadedMs !== undefined) {
  console.log(
    `kernels with no parallel section (ORT thread_scheduling_stats; the calling thread alone): ${p.singleThreadedMs.toFixed(1)} ms per step, ${((100 * p.singleThreadedMs) / p.kernelMs).toFixed(1)} % of kernel time`,
  );
}
console.log('-- by category (share of kernel time)');
show(new Map(Object.entries(p.categories)), 20);
console.log('-- by part (forward, train = BatchNorm statistics, lucerna = backward, opt/fused = update, gemm = lowered convs) and op');
show(
  sum((e) => `${/^(lucerna|train|opt|fused|gemm)\//.exec(e.name)?.[1] ?? 'forward'} ${e.op}`),
  30,
);
if (p.singleThreadedMs !== undefined) {
  console.log('-- single-threaded kernels (no parallel section) by part and op');
  const single = new Map<string, number>();
  for (const e of p.events.filter((e) => e.parallel === false)) {
    const k = `${/^(lucerna|train|opt|fused|gemm)\//.exec(e.name)?.[1] ?? 'forward'} ${e.op}`;
    single.set(k, (single.get(k) ?? 0) + per(e.dur));
  }
  show(single, 15);
}
console.log('-- by node');
show(
  sum((e) => `${e.op} ${e.name} ${e.shapes}`),
  Number(values.top),
);
