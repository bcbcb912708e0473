/**
 * Perturbation benchmark: occlusion and RISE on ResNet-18 (224×224, 2 threads), each compared with
 * the bare batched ONNX Runtime throughput measured in the same run.
 */
import { occlusion } from '../src/attribution/perturbation/occlusion.js';
import { rise } from '../src/attribution/perturbation/rise.js';
import type { AttributionResult } from '../src/attribution/types.js';
import { BENCH_MODELS, type BenchModel, loadBenchModel, randomInput } from './models.js';
import { type Section, table } from './report.js';
import type { SectionOptions } from './sections.js';
import { median, ms, ratio } from './timing.js';

const THREADS = 2;
const BATCH = 32;
/** Captum's wall time for the same occlusion on this machine type, from the issue. */
const CAPTUM_OCCLUSION_S = 55;

interface PerturbationRow {
  readonly method: string;
  readonly setup: string;
  readonly passes: number;
  readonly seconds: number;
}

/** Milliseconds of each of `reps` calls after two warm-up calls. */
async function forwardTimes(fn: () => Promise<unknown>, reps: number): Promise<number[]> {
  for (let i = 0; i < 2; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

/** Runs `fn` `runs` times and returns the median wall time in seconds and the last result. */
async function wallTime(runs: number, fn: () => Promise<AttributionResult>): Promise<{ seconds: number; result: AttributionResult }> {
  const times: number[] = [];
  let result: AttributionResult | undefined;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = await fn();
    times.push((performance.now() - t0) / 1000);
  }
  return { seconds: median(times), result: result as AttributionResult };
}

/**
 * The perturbation section: occlusion (window 3×8×8, stride 3×4×4: 3,025 windows) and RISE
 * (2,000 masks) on ResNet-18, against bare batch-32 forward throughput.
 *
 * @example
 * ```ts
 * const section = await benchPerturbation({ reps: 5, quick: true });
 * ```
 */
export async function benchPerturbation(o: SectionOptions): Promise<Section> {
  const bm = BENCH_MODELS.find((m) => m.name === 'resnet18') as BenchModel;
  await using model = await loadBenchModel(bm, THREADS);
  const batch = randomInput(model.inputShape(BATCH), 2);
  const reps = o.quick ? 3 : Math.min(o.reps, 10);
  const before = await forwardTimes(() => model.run(batch), reps);
  const x = randomInput(model.inputShape(1), 3);
  const runs = o.quick ? 1 : 3;
  const rows: PerturbationRow[] = [];
  const occ = await wallTime(runs, () => occlusion.attribute(model, x, { window: [3, 8, 8], strides: [3, 4, 4], target: 0, batchSize: BATCH }));
  rows.push({ method: 'occlusion', setup: 'window 3×8×8, stride 3×4×4', passes: (occ.result.details?.forwardPasses as number) + 1, seconds: occ.seconds });
  console.error(`perturbation: occlusion ${occ.seconds.toFixed(1)} s`);
  const masks = await wallTime(runs, () => rise.attribute(model, x, { masks: 2000, cell: 32, keep: 0.5, seed: 1, target: 0, batchSize: BATCH }));
  rows.push({ method: 'rise', setup: '2,000 masks, cell 32 px, p = 0.5', passes: (masks.result.details?.forwardPasses as number) + 1, seconds: masks.seconds });
  console.error(`perturbation: rise ${masks.seconds.toFixed(1)} s`);
  // Bare throughput is timed before and after the methods, so a busy machine biases both alike.
  const forwardMs = median([...before, ...(await forwardTimes(() => model.run(batch), reps))]);
  const bare = BATCH / (forwardMs / 1000);
  console.error(`perturbation: bare ORT batch ${BATCH}: ${forwardMs.toFixed(0)} ms (${bare.toFixed(1)} images/s)`);
  const body = table(
    ['method', 'setup', 'forward passes', 'wall time (s)', 'passes / s', 'share of bare ORT throughput'],
    rows.map((r) => [
      r.method,
      r.setup,
      r.passes.toLocaleString('en-US'),
      r.seconds.toFixed(1),
      (r.passes / r.seconds).toFixed(1),
      ratio(r.passes / r.seconds / bare),
    ]),
  );
  const notes = [
    '',
    '',
    `- ResNet-18, one 224×224 input, ${THREADS} intra-op threads, scorer batch ${BATCH}; the passes include the clean forward pass. ${runs === 1 ? 'One run each' : `Median of ${runs} runs`}.`,
    `- Bare ORT: a batch-${BATCH} \`Model.run\` on random input took ${ms(forwardMs)} ms (median of ${2 * reps} calls, half before and half after the methods), ${bare.toFixed(1)} images/s; the last column is the method's passes/s over that.`,
    `- Captum's \`Occlusion\` took about ${CAPTUM_OCCLUSION_S} s for the same occlusion on this machine (from the issue; PyTorch, 2 threads); Captum ÷ Lucerna wall time: ${ratio(CAPTUM_OCCLUSION_S / (rows[0] as PerturbationRow).seconds)}.`,
  ].join('\n');
  return { title: 'Perturbation methods: occlusion and RISE on ResNet-18', body: body + notes };
}
