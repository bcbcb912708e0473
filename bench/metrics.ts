/**
 * Metric benchmark: deletion + insertion with 100 steps (101 curve points each) for one image on
 * resnet18, against the bare batched forward throughput of the same model measured in the same run.
 */
import { modelScorer } from '../src/attribution/perturbation/scorer.js';
import { deletion } from '../src/metrics/deletion.js';
import { insertion } from '../src/metrics/insertion.js';
import { BENCH_MODELS, loadBenchModel, randomInput } from './models.js';
import { type Section, table } from './report.js';
import type { SectionOptions } from './sections.js';
import { median, ms, ratio } from './timing.js';

const STEPS = 100;
const BATCHES = [16, 32] as const;

interface Row {
  batch: number;
  /** Bare forward passes of the same padded batches the two curves run. */
  bareMs: number;
  curvesMs: number;
  rows: number;
  paddedRows: number;
}

async function elapsed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Runs the metric benchmark. */
export async function benchMetrics(o: SectionOptions): Promise<Section> {
  const bm = BENCH_MODELS.find((m) => m.name === 'resnet18');
  if (!bm) throw new Error('resnet18 is not among the benchmark models');
  await using model = await loadBenchModel(bm, 2);
  const x = randomInput(model.inputShape(1), 3);
  const attribution = randomInput(x.shape, 4);
  const points = STEPS + 1;
  const rows: Row[] = [];
  const reps = Math.max(3, Math.floor(o.reps / 3));
  for (const batch of BATCHES) {
    const scorer = modelScorer(model, { batchSize: batch, score: 'probability' });
    const full = randomInput(model.inputShape(batch), 5);
    const calls = 2 * Math.ceil(points / batch);
    const options = { target: 1, steps: STEPS, batchSize: batch };
    const bare = async () => {
      for (let i = 0; i < calls; i++) await scorer.score(full);
    };
    const curves = async () => {
      await deletion(model, x, attribution, options);
      await insertion(model, x, attribution, options);
    };
    // Interleaved, so both see the same machine load.
    await bare();
    await curves();
    const bareTimes: number[] = [];
    const curveTimes: number[] = [];
    for (let r = 0; r < reps; r++) {
      bareTimes.push(await elapsed(bare));
      curveTimes.push(await elapsed(curves));
    }
    const row = { batch, bareMs: median(bareTimes), curvesMs: median(curveTimes), rows: 2 * points, paddedRows: calls * batch };
    rows.push(row);
    console.error(`metrics resnet18 batch ${batch}: ${row.curvesMs.toFixed(0)} ms, bare forward of the same rows ${row.bareMs.toFixed(0)} ms`);
  }
  const body = [
    table(
      [
        'model',
        'batch',
        'forward rows (padded)',
        'bare forward of those rows (ms)',
        'deletion + insertion (ms)',
        'ratio',
        'bare 202 rows at full-batch throughput (ms)',
        'ratio',
      ],
      rows.map((r) => {
        const bare202 = (r.bareMs / r.paddedRows) * r.rows;
        return [
          'resnet18',
          String(r.batch),
          `${r.rows} (${r.paddedRows})`,
          ms(r.bareMs),
          ms(r.curvesMs),
          ratio(r.curvesMs / r.bareMs),
          ms(bare202),
          ratio(r.curvesMs / bare202),
        ];
      }),
    ),
    '',
    `- One 224×224 image, ${STEPS} steps per curve (${points} points, so ${2 * points} forward rows for both curves), explicit target (no extra clean pass), softmax probability, 2 intra-op threads.`,
    '- Deletion replaces pixels with zeros; insertion starts from the Gaussian blur (σ = 5 px), computed once.',
    '- The scorer pads a short last chunk to the batch size, so one session serves every chunk: the first ratio compares with bare forward passes of exactly those padded batches (interleaved with the metric runs, medians), the second with 202 rows at the bare full-batch throughput.',
  ].join('\n');
  return { title: 'Metrics: deletion and insertion against the bare batched forward', body };
}
