/**
 * Issue #13's gradient check at scale: ResNet-18's train-mode parameter gradients from our step
 * graph, written for `python/train_grads_f64.py`, which computes PyTorch's in float32 and float64
 * and prints how far each is from float64 (a reference only; no test depends on PyTorch).
 * Run: `node --import tsx bench/train-grads-f64.ts [--batch 32] [--out /tmp/grads]`, then
 * `/usr/bin/python3 bench/python/train_grads_f64.py /tmp/grads`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { nodeRuntime } from '../src/engine/node.js';
import { prepareGraph } from '../src/engine/prepare.js';
import { serializeNpy } from '../src/io/npy.js';
import { createModel } from '../src/models/architectures.js';
import { graphFromBytes } from '../src/onnx/builder.js';
import { encodeModel } from '../src/onnx/proto.js';
import { readFloats } from '../src/onnx/tensors.js';
import { seededRandom } from '../src/tensor/random.js';
import { oneHotRows, softmaxCrossEntropy } from '../src/training/loss.js';
import { sgd } from '../src/training/optimizers/index.js';
import { DEFAULT_HYPER, type Optimizer } from '../src/training/optimizers/types.js';
import { splitParameters } from '../src/training/parameters.js';
import { buildStepGraph } from '../src/training/step-graph.js';

const { values } = parseArgs({ options: { batch: { type: 'string', default: '32' }, out: { type: 'string', default: '/tmp/lucerna-grads' } } });
const [batch, size, out] = [Number(values.batch), 64, values.out as string];
mkdirSync(out, { recursive: true });
/** The step's "update" returns the gradient itself, so the carried outputs are the gradients. */
const gradsOut: Optimizer = { ...sgd, name: 'grads-out', slots: () => [], emit: (_b, t) => ({ param: t.grad, state: {} }) };
const source = graphFromBytes(createModel('resnet18', { classes: 10, input: [3, size, size] }));
const { trainable } = splitParameters(source);
const prepared = await prepareGraph(nodeRuntime, source, [batch, 3, size, size]);
const step = await buildStepGraph(nodeRuntime, prepared, { trainable, optimizer: gradsOut, hyper: DEFAULT_HYPER, bn: 'train', loss: [softmaxCrossEntropy()] });
const session = await nodeRuntime.createSession(encodeModel(step.graph.toModel()), { threads: 1 });
const random = seededRandom(5);
const x = new Float32Array(batch * 3 * size * size).map(() => random() * 2 - 1);
const labels = Array.from({ length: batch }, (_, i) => (i * 3) % 10);
const feeds: Record<string, { data: Float32Array; shape: readonly number[] }> = {
  [step.input]: { data: x, shape: [batch, 3, size, size] },
  [step.oneHot]: { data: oneHotRows(labels, 10), shape: [batch, 10] },
};
for (const name of Object.values(step.scalars)) feeds[name] = { data: new Float32Array([1]), shape: [] };
for (const c of step.carried) {
  const init = source.initializers.get(c.input);
  const data = init ? readFloats(init) : new Float32Array(c.dims.reduce((p, d) => p * d, 1));
  feeds[c.input] = { data, shape: c.dims };
  writeFileSync(`${out}/init.${c.input}.npy`, serializeNpy({ data, shape: [...c.dims] }));
}
const result = await session.run(feeds);
for (const c of step.carried) {
  if (!trainable.includes(c.input)) continue;
  writeFileSync(`${out}/grad.${c.input}.npy`, serializeNpy({ data: result[c.output]?.data as Float32Array, shape: [...c.dims] }));
}
writeFileSync(`${out}/x.npy`, serializeNpy({ data: x, shape: [batch, 3, size, size] }));
writeFileSync(`${out}/y.npy`, serializeNpy({ data: new BigInt64Array(labels.map(BigInt)), shape: [batch] }, 'int64'));
await session.dispose();
console.log(`loss ${result[step.loss]?.data[0]}; ${trainable.length} gradients in ${out}`);
