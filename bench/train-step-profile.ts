/**
 * Where the training step's time goes: ORT's profiler over a few steps of the case
 * (ResNet-18, 10 classes, 64×64, SGD momentum, BatchNorm in train mode), summed by op type and by
 * node. Run: `node --import tsx bench/train-step-profile.ts [--batch 32] [--steps 3] [--top 25]`.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { nodeRuntime } from '../src/engine/node.js';
import { prepareGraph } from '../src/engine/prepare.js';
import { createModel } from '../src/models/architectures.js';
import { graphFromBytes } from '../src/onnx/builder.js';
import { encodeModel } from '../src/onnx/proto.js';
import { readFloats } from '../src/onnx/tensors.js';
import { oneHotRows, softmaxCrossEntropy } from '../src/training/loss.js';
import { sgd } from '../src/training/optimizers/index.js';
import { DEFAULT_HYPER } from '../src/training/optimizers/types.js';
import { splitParameters } from '../src/training/parameters.js';
import { buildStepGraph } from '../src/training/step-graph.js';

const { values } = parseArgs({
  options: { batch: { type: 'string', default: '32' }, steps: { type: 'string', default: '3' }, top: { type: 'string', default: '25' } },
});
const batch = Number(values.batch);
const source = graphFromBytes(createModel('resnet18', { classes: 10, input: [3, 64, 64] }));
const { trainable } = splitParameters(source);
const prepared = await prepareGraph(nodeRuntime, source, [batch, 3, 64, 64]);
const hyper = { ...DEFAULT_HYPER, momentum: 0.9 };
const step = await buildStepGraph(nodeRuntime, prepared, { trainable, optimizer: sgd, hyper, bn: 'train', loss: [softmaxCrossEntropy()] });

const PREFIX = `train-step-profile-${process.pid}`;
type Feed = { data: Float32Array; dims: readonly number[] };
const ort = createRequire(import.meta.url)('onnxruntime-node');
const session = await ort.InferenceSession.create(encodeModel(step.graph.toModel()), { enableProfiling: true, profileFilePrefix: `/tmp/${PREFIX}` });
const feeds: Record<string, unknown> = {};
const put = (name: string, f: Feed) => {
  feeds[name] = new ort.Tensor('float32', f.data, f.dims);
};
put(step.input, { data: new Float32Array(batch * 3 * 64 * 64).map((_, i) => Math.sin(i)), dims: [batch, 3, 64, 64] });
put(step.oneHot, {
  data: oneHotRows(
    Array.from({ length: batch }, (_, i) => i % 10),
    10,
  ),
  dims: [batch, 10],
});
const scalars = sgd.scalars(hyper, { lr: 0.01, step: 1 });
for (const [k, name] of Object.entries(step.scalars)) put(name, { data: new Float32Array([scalars[k] as number]), dims: [] });
for (const c of step.carried) {
  const init = source.initializers.get(c.input);
  put(c.input, { data: init ? readFloats(init) : new Float32Array(c.dims.reduce((p, d) => p * d, 1)), dims: c.dims });
}
const steps = Number(values.steps);
const t0 = performance.now();
for (let i = 0; i < steps + 1; i++) await session.run(feeds);
const wall = (performance.now() - t0) / (steps + 1);
session.endProfiling();
await session.release();
// onnxruntime-node returns nothing from endProfiling: take the newest file with the prefix
const file = `/tmp/${readdirSync('/tmp')
  .filter((f) => f.startsWith(PREFIX))
  .sort()
  .at(-1)}`;

interface Event {
  readonly cat: string;
  readonly name: string;
  readonly dur: number;
  readonly args?: { op_name?: string; input_type_shape?: Record<string, number[]>[] };
}
const events = (JSON.parse(readFileSync(file, 'utf8')) as Event[]).filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
rmSync(file);
const byOp = new Map<string, number>();
const byNode = new Map<string, number>();
const byPrefix = new Map<string, number>();
for (const e of events) {
  const op = e.args?.op_name ?? '?';
  byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
  const shapes = (e.args?.input_type_shape ?? []).map((t) => JSON.stringify(Object.values(t)[0])).join(' ');
  const key = `${op} ${e.name.replace(/_kernel_time$/, '')} ${shapes}`;
  byNode.set(key, (byNode.get(key) ?? 0) + e.dur);
  // forward nodes keep the model's names (/layer1.0.conv1/Conv); the compiler's are lucerna/, train/, opt/
  const prefix = `${/^(lucerna|train|opt)\//.exec(e.name)?.[1] ?? 'forward'} ${op}`;
  byPrefix.set(prefix, (byPrefix.get(prefix) ?? 0) + e.dur);
}
const runs = steps + 1;
const total = [...byOp.values()].reduce((a, b) => a + b, 0) / runs / 1000;
console.log(`step graph: ${step.graph.nodes.length} nodes; wall ${wall.toFixed(0)} ms/step, kernels ${total.toFixed(0)} ms/step (profiled)`);
const show = (m: Map<string, number>, n: number) => {
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${(v / runs / 1000).toFixed(1).padStart(8)} ms  ${k}`);
};
console.log('-- by op type');
show(byOp, 40);
console.log('-- by part (forward, train = BatchNorm rewrite, lucerna = backward, opt = update) and op');
show(byPrefix, 30);
console.log('-- by node');
show(byNode, Number(values.top));
