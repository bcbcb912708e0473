/**
 * Steps per ORT run, paired: two trainers of the issue #13 case (ResNet-18, 10 classes, 64×64,
 * batch 32, SGD momentum 0.9, BatchNorm in train mode) in one process, alternating blocks of steps
 * with `--a` and `--b` steps per run (`Trainer.stepMany`), so a changing load hits both alike. Prints
 * per step: process CPU (user + sys, every thread), sys alone, minor page faults and wall ms, then
 * whether both trainers' values are bit-identical after the same steps (they must be: grouping
 * changes no arithmetic). Run: `node --import tsx bench/train-steps-per-run.ts [--a 4] [--b 16]
 * [--steps 16] [--rounds 3] [--threads 2]` (`--steps` should be a multiple of both).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { nodeRuntime } from '../src/engine/node.js';
import { createModel } from '../src/models/architectures.js';
import { graphFromBytes } from '../src/onnx/builder.js';
import { sgd } from '../src/training/optimizers/index.js';
import { Trainer } from '../src/training/trainer.js';

const { values } = parseArgs({
  options: {
    a: { type: 'string', default: '4' },
    b: { type: 'string', default: '16' },
    steps: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
  },
});
const batch = 32;
const graph = graphFromBytes(createModel('resnet18', { classes: 10, input: [3, 64, 64] }));
const x = { data: new Float32Array(batch * 3 * 64 * 64).map((_, i) => Math.sin(i)), shape: [batch, 3, 64, 64] };
const labels = Array.from({ length: batch }, (_, i) => i % 10);
const perRun = [Number(values.a), Number(values.b)];
const options = { runtime: nodeRuntime, optimizer: sgd, hyper: { momentum: 0.9 }, session: { threads: Number(values.threads) } };
const trainers = await Promise.all(perRun.map(() => Trainer.create(graph, [3, 64, 64], options)));
const block = async (t: Trainer, k: number, steps: number) => {
  for (let s = 0; s < steps; s += k) await t.stepMany(Array.from({ length: k }, () => ({ x, labels, lr: 0.01 })));
};
const totals = perRun.map(() => ({ cpu: 0, sys: 0, faults: 0, wall: 0, steps: 0 }));
const steps = Number(values.steps);
// warm-up (compiles the sessions): one block each
for (const [j, t] of trainers.entries()) await block(t, perRun[j] as number, steps);
for (let r = 0; r < Number(values.rounds); r++) {
  for (const [j, t] of trainers.entries()) {
    const k = perRun[j] as number;
    const [c0, f0, t0] = [process.cpuUsage(), process.resourceUsage().minorPageFault, performance.now()];
    await block(t, k, steps);
    const u = process.cpuUsage(c0);
    const total = totals[j] as (typeof totals)[number];
    total.cpu += (u.user + u.system) / 1000;
    total.sys += u.system / 1000;
    total.faults += process.resourceUsage().minorPageFault - f0;
    total.wall += performance.now() - t0;
    total.steps += Math.ceil(steps / k) * k;
  }
}
const round1 = (v: number) => Math.round(v * 10) / 10;
const [first, second] = trainers.map((t) => t.values());
const identical = [...(first ?? [])].every(([name, v]) => {
  const w = second?.get(name);
  return w !== undefined && v.every((e, i) => Object.is(e, w[i]));
});
console.log(
  JSON.stringify({
    threads: Number(values.threads),
    load: round1(loadavg()[0] ?? 0),
    perStep: totals.map((t, j) => ({
      perRun: perRun[j],
      cpuMs: round1(t.cpu / t.steps),
      sysMs: round1(t.sys / t.steps),
      faults: Math.round(t.faults / t.steps),
      wallMs: round1(t.wall / t.steps),
    })),
    steps: trainers.map((t) => t.steps),
    identical,
  }),
);
for (const t of trainers) await t.dispose();
