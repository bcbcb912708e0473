/**
 * Training-step timing (the speed case): ResNet-18, 10 classes, 64×64, batch 32, SGD with
 * momentum, BatchNorm in train mode. Compares two formulations of one step and the forward pass:
 * - `one-run`: forward, loss, backward and the SGD update in one ORT graph (what `lucerna train` runs);
 * - `grads-out`: the same graph without the update; the gradients come back to JS, which updates
 *   momentum and weights (PyTorch's formulas, float32);
 * - `forward`: the inference forward pass alone, the unit of the arithmetic floor (≈ 3× forward for
 *   forward + backward).
 * Run: `node --import tsx bench/train-step.ts [--reps 5] [--batch 32]`. Prints medians in ms.
 */
import { parseArgs } from 'node:util';
import { nodeRuntime } from '../src/engine/node.js';
import { prepareGraph } from '../src/engine/prepare.js';
import { createModel } from '../src/models/architectures.js';
import { graphFromBytes } from '../src/onnx/builder.js';
import { encodeModel } from '../src/onnx/proto.js';
import { sgd } from '../src/training/optimizers/index.js';
import type { Optimizer } from '../src/training/optimizers/types.js';
import { Trainer } from '../src/training/trainer.js';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '5' }, batch: { type: 'string', default: '32' } } });
const reps = Number(values.reps);
const batch = Number(values.batch);
const shape = [3, 64, 64];
const graph = graphFromBytes(createModel('resnet18', { classes: 10, input: [3, 64, 64] }));
const x = { data: new Float32Array(batch * 3 * 64 * 64).map((_, i) => Math.sin(i)), shape: [batch, ...shape] };
const labels = Array.from({ length: batch }, (_, i) => i % 10);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;

/** SGD whose graph part only returns the gradient; the update then runs in JS. */
const gradsOut: Optimizer = {
  ...sgd,
  name: 'grads-out',
  slots: () => [],
  emit: (_b, t) => ({ param: t.grad, state: {} }),
};

async function timeSteps(optimizer: Optimizer, jsUpdate: boolean): Promise<number> {
  await using trainer = await Trainer.create(graph, shape, { runtime: nodeRuntime, optimizer, hyper: { momentum: 0.9 } });
  const buffers = new Map<string, Float32Array>();
  const times: number[] = [];
  for (let r = 0; r < reps + 2; r++) {
    const t0 = performance.now();
    await trainer.step(x, labels, 0.01);
    if (jsUpdate) {
      // the carried values are the gradients here: apply momentum SGD to copies of the weights
      for (const [name, g] of trainer.values()) {
        const b = buffers.get(name) ?? new Float32Array(g.length);
        for (let i = 0; i < g.length; i++) b[i] = Math.fround(0.9 * (b[i] as number) + (g[i] as number));
        buffers.set(name, b);
      }
    }
    if (r >= 2) times.push(performance.now() - t0);
  }
  return median(times);
}

async function timeForward(): Promise<number> {
  const prepared = await prepareGraph(nodeRuntime, graph, [batch, ...shape]);
  const session = await nodeRuntime.createSession(encodeModel(prepared.graph.toModel()));
  try {
    const times: number[] = [];
    for (let r = 0; r < reps + 2; r++) {
      const t0 = performance.now();
      await session.run({ [prepared.graph.primaryInput().name]: x });
      if (r >= 2) times.push(performance.now() - t0);
    }
    return median(times);
  } finally {
    await session.dispose();
  }
}

// Alternate the two formulations so a changing machine load hits both alike.
const forward = await timeForward();
const oneRuns: number[] = [];
const splits: number[] = [];
for (let round = 0; round < 2; round++) {
  splits.push(await timeSteps(gradsOut, true));
  oneRuns.push(await timeSteps(sgd, false));
}
const oneRun = Math.min(...oneRuns);
const split = Math.min(...splits);
console.log(
  JSON.stringify({
    batch,
    reps,
    forwardMs: Math.round(forward),
    floorMs: Math.round(3 * forward),
    oneRunMs: Math.round(oneRun),
    gradsOutMs: Math.round(split),
    rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
  }),
);
