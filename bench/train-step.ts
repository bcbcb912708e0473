/**
 * Training-step timing alone (see `training.ts`): `node --import tsx bench/train-step.ts [--reps 5]
 * [--batch 32]`. Prints the medians in ms as one JSON line.
 */
import { parseArgs } from 'node:util';
import { timeTrainStep } from './training.js';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '5' }, batch: { type: 'string', default: '32' } } });
const t = await timeTrainStep(Number(values.batch), Number(values.reps));
console.log(
  JSON.stringify({
    batch: t.batch,
    reps: t.reps,
    forwardMs: Math.round(t.forwardMs),
    floorMs: Math.round(3 * t.forwardMs),
    oneRunMs: Math.round(t.oneRunMs),
    gradsOutMs: Math.round(t.gradsOutMs),
    rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
  }),
);
