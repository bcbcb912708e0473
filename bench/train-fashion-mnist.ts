/**
 * The Fashion-MNIST result of the training issue: small-cnn created by `model create` (seed 0),
 * trained by the library's one-run step on the 60 000 training images, with the 10 000 test images
 * evaluated after each epoch (as the validation set: they never train). Prints one JSON line per
 * epoch (train loss and accuracy, test accuracy, process CPU seconds and wall seconds, cumulative).
 * Run: `node --import tsx bench/train-fashion-mnist.ts [--epochs 2] [--batch 128] [--lr 0.002]
 * [--schedule cosine] [--warmup 100] [--threads 2]`. PyTorch's same run: `python/train_fashion_mnist.py`.
 */
import { parseArgs } from 'node:util';
import { fashionMnist } from '../src/datasets/node/fashion-mnist.js';
import { nodeRuntime } from '../src/engine/node.js';
import { createModel } from '../src/models/architectures.js';
import { graphFromBytes } from '../src/onnx/builder.js';
import { fit } from '../src/training/fit.js';
import { adam } from '../src/training/optimizers/index.js';
import type { Schedule } from '../src/training/schedule.js';
import { Trainer } from '../src/training/trainer.js';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '2' },
    batch: { type: 'string', default: '128' },
    lr: { type: 'string', default: '0.002' },
    schedule: { type: 'string', default: 'cosine' },
    warmup: { type: 'string', default: '100' },
    threads: { type: 'string', default: '2' },
  },
});
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const t0 = performance.now();
const train = await fashionMnist('train');
const test = await fashionMnist('test');
const graph = graphFromBytes(createModel('small-cnn', { classes: 10, input: [1, 28, 28], seed: 0 }));
await using trainer = await Trainer.create(graph, [1, 28, 28], { runtime: nodeRuntime, optimizer: adam, session: { threads: Number(values.threads) } });
const schedule: Schedule = { kind: values.schedule as Schedule['kind'], warmupSteps: Number(values.warmup) };
console.log(JSON.stringify({ epochs: Number(values.epochs), batch: Number(values.batch), lr: Number(values.lr), schedule, threads: Number(values.threads) }));
await fit(trainer, train, {
  batchSize: Number(values.batch),
  epochs: Number(values.epochs),
  shuffle: true,
  seed: 0,
  lr: Number(values.lr),
  schedule,
  validation: test,
  onEpoch: (e) =>
    console.log(
      JSON.stringify({
        epoch: e.epoch + 1,
        loss: Number(e.loss.toFixed(4)),
        trainAccuracy: Number(e.accuracy.toFixed(4)),
        testAccuracy: e.valAccuracy,
        cpuSeconds: Math.round(cpuSeconds()),
        wallSeconds: Math.round((performance.now() - t0) / 1000),
      }),
    ),
});
