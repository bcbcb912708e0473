/**
 * The Fashion-MNIST result of the training issue: small-cnn created by `model create`, trained by
 * the library's one-run step on the 60 000 training images, then evaluated on the 10 000 test
 * images. Prints one JSON line per epoch (loss, train accuracy, test accuracy, seconds) and a
 * summary. Run: `node --import tsx bench/train-fashion-mnist.ts [--epochs 3] [--batch 64] [--lr 0.001]`.
 */
import { parseArgs } from 'node:util';
import { fashionMnist } from '../src/datasets/node/fashion-mnist.js';
import { batchesOf, epochOrder } from '../src/datasets/order.js';
import type { Dataset } from '../src/datasets/types.js';
import { nodeRuntime } from '../src/engine/node.js';
import { createModel } from '../src/models/architectures.js';
import { graphFromBytes } from '../src/onnx/builder.js';
import { fit } from '../src/training/fit.js';
import { adam } from '../src/training/optimizers/index.js';
import { Trainer } from '../src/training/trainer.js';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.001' },
    threads: { type: 'string' },
  },
});
const epochs = Number(values.epochs);
const batchSize = Number(values.batch);
const lr = Number(values.lr);

async function accuracy(trainer: Trainer, data: Dataset): Promise<number> {
  let correct = 0;
  for (const idx of batchesOf(epochOrder(data.size, { shuffle: false, seed: 0, epoch: 0 }), 500)) {
    const b = await data.read(idx, 0);
    const logits = await trainer.predict(b.x);
    const k = logits.shape[1] as number;
    for (let n = 0; n < idx.length; n++) {
      let best = 0;
      for (let c = 1; c < k; c++) if ((logits.data[n * k + c] as number) > (logits.data[n * k + best] as number)) best = c;
      if (best === b.labels[n]) correct++;
    }
  }
  return correct / data.size;
}

const train = await fashionMnist('train');
const test = await fashionMnist('test');
const graph = graphFromBytes(createModel('small-cnn', { classes: 10, input: [1, 28, 28], seed: 0 }));
const session = values.threads ? { threads: Number(values.threads) } : {};
await using trainer = await Trainer.create(graph, [1, 28, 28], { runtime: nodeRuntime, optimizer: adam, session });
const t0 = performance.now();
let trainSeconds = 0;
for (let e = 0; e < epochs; e++) {
  const s0 = performance.now();
  const r = await fit(trainer, train, { batchSize, epochs: 1, shuffle: true, seed: e, lr, schedule: { kind: 'constant' } });
  trainSeconds += (performance.now() - s0) / 1000;
  const acc = await accuracy(trainer, test);
  console.log(
    JSON.stringify({
      epoch: e + 1,
      loss: r.epochs[0]?.loss,
      trainAccuracy: r.epochs[0]?.accuracy,
      testAccuracy: acc,
      trainSeconds: Math.round(trainSeconds),
      wallSeconds: Math.round((performance.now() - t0) / 1000),
    }),
  );
}
