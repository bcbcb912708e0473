/**
 * Core engine benchmark: bare forward, compiled forward + input gradient, and forward + gradient at
 * the last conv block, at batch 1 and 8, with 1 and 2 intra-op threads.
 */
import { BENCH_MODELS, lastConvBlock, loadBenchModel, oneHotRows, randomInput } from './models.js';
import { timeMedian } from './timing.js';

export interface CoreRow {
  model: string;
  batch: number;
  threads: number;
  forwardMs: number;
  inputGradMs: number;
  layerGradMs: number;
  layer: string;
}

/** Runs the core benchmark. */
export async function benchCore(opts: { reps: number; batches: number[]; threads: number[] }): Promise<CoreRow[]> {
  const rows: CoreRow[] = [];
  for (const bm of BENCH_MODELS) {
    for (const threads of opts.threads) {
      await using model = await loadBenchModel(bm, threads);
      const layer = await lastConvBlock(model);
      for (const batch of opts.batches) {
        const x = randomInput(model.inputShape(batch));
        const seed = oneHotRows(batch, 1000);
        const full = await model.compile({ seeds: ['logits'] }, x.shape);
        const partial = await model.compile({ seeds: ['logits'], wrt: [layer], read: [layer] }, x.shape);
        const forwardMs = await timeMedian(() => model.run(x), { reps: opts.reps });
        const inputGradMs = await timeMedian(() => full.run({ input: x, seeds: { logits: seed } }), { reps: opts.reps });
        const layerGradMs = await timeMedian(() => partial.run({ input: x, seeds: { logits: seed } }), { reps: opts.reps });
        rows.push({ model: bm.name, batch, threads, forwardMs, inputGradMs, layerGradMs, layer });
        console.error(
          `core ${bm.name} b${batch} t${threads}: fwd ${forwardMs.toFixed(1)} ms, fwd+input grad ${inputGradMs.toFixed(1)} ms, fwd+layer grad ${layerGradMs.toFixed(1)} ms`,
        );
      }
    }
  }
  return rows;
}
