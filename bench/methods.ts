/**
 * Gradient-method benchmark: each method's time as a ratio to the bare compiled forward+backward
 * (and Grad-CAM to forward + the partial backward to its layer), measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { gradCamMap } from '../src/attribution/cam/grad-cam.js';
import { gradCam, guidedGradCam } from '../src/attribution/cam/index.js';
import { gradientCamMaps } from '../src/attribution/cam/template.js';
import { inputGradient } from '../src/attribution/gradient/input-gradient.js';
import { integratedGradients } from '../src/attribution/gradient/integrated-gradients.js';
import { saliency } from '../src/attribution/gradient/saliency.js';
import { camLayer, defaultCamLayer } from '../src/attribution/layers.js';
import { smoothGrad } from '../src/attribution/methods.js';
import { BENCH_MODELS, loadBenchModel, oneHotRows, randomInput } from './models.js';
import { type Section, table } from './report.js';
import type { SectionOptions } from './sections.js';
import { ms, ratio, timeMedian } from './timing.js';

interface MethodRow {
  model: string;
  method: string;
  timeMs: number;
  reference: string;
  referenceMs: number;
  goal?: string;
}

/** Peak RSS (MB) of IG with 200 steps on resnet18 in a fresh process. */
function igPeakRss(): number {
  const script = resolve(import.meta.dirname, 'ig-rss.ts');
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8' });
  const m = /peak-rss-mb (\d+(\.\d+)?)/.exec(r.stdout);
  if (!m) throw new Error(`ig-rss failed: ${r.stderr}`);
  return Number(m[1]);
}

/** Runs the method benchmark. */
export async function benchMethods(o: SectionOptions): Promise<Section> {
  const rows: MethodRow[] = [];
  const reps = Math.max(3, Math.floor(o.reps / 3));
  for (const bm of BENCH_MODELS) {
    await using model = await loadBenchModel(bm, 2);
    const x = randomInput(model.inputShape(1));
    const layer = await defaultCamLayer(model);
    const full = await model.compile({ seeds: ['logits'] }, x.shape);
    const partial = await model.compile({ seeds: ['logits'], wrt: [layer], read: [layer] }, x.shape);
    const seed = oneHotRows(1, 1000);
    const fwdBwd = await timeMedian(() => full.run({ input: x, seeds: { logits: seed } }), { reps: o.reps });
    const fwdPartial = await timeMedian(() => partial.run({ input: x, seeds: { logits: seed } }), { reps: o.reps });
    const target = 1;
    const add = (method: string, timeMs: number, reference: string, referenceMs: number, goal?: string) => {
      rows.push({ model: bm.name, method, timeMs, reference, referenceMs, goal });
      console.error(`methods ${bm.name} ${method}: ${timeMs.toFixed(1)} ms (${(timeMs / referenceMs).toFixed(2)}× ${reference})`);
    };
    add('saliency', await timeMedian(() => saliency.attribute(model, x, { target }), { reps }), 'fwd+bwd', fwdBwd);
    for (const batchSize of [8, 16, 32]) {
      const ig = await timeMedian(() => integratedGradients.attribute(model, x, { target, steps: 32, batchSize }), { reps, warmup: 1 });
      add(`integrated gradients, 32 steps (internal batch ${batchSize})`, ig, '32 × fwd+bwd', 32 * fwdBwd, '≤ 1.15×');
    }
    const sg = await timeMedian(() => smoothGrad.attribute(model, x, { target, samples: 8, batchSize: 8 }), { reps, warmup: 1 });
    add('SmoothGrad, 8 samples (batch 8)', sg, '8 × fwd+bwd', 8 * fwdBwd);
    add('Grad-CAM', await timeMedian(() => gradCam.attribute(model, x, { target, layer }), { reps }), 'fwd + partial bwd', fwdPartial, '≤ 1.2×');
    add('guided Grad-CAM (one graph)', await timeMedian(() => guidedGradCam.attribute(model, x, { target, layer }), { reps }), 'fwd+bwd', fwdBwd, '≤ 1.2×');
    // The two graphs it ran before (Grad-CAM with standard rules, then guided backprop), same model, same run.
    const info = await camLayer(model, layer, x.shape);
    const twoGraphs = async () => {
      await gradientCamMaps(model, x, info, gradCamMap, { target });
      await inputGradient(model, x, { target: [target], rules: 'guided' });
    };
    add('guided Grad-CAM as two graphs (before)', await timeMedian(twoGraphs, { reps, warmup: 1 }), 'fwd+bwd', fwdBwd);
  }
  const rss = o.quick ? undefined : igPeakRss();
  const body = [
    table(
      ['model', 'method', 'time (ms)', 'reference', 'reference (ms)', 'ratio', 'goal'],
      rows.map((r) => [r.model, r.method, ms(r.timeMs), r.reference, ms(r.referenceMs), ratio(r.timeMs / r.referenceMs), r.goal ?? '']),
    ),
    '',
    '- Batch 1, 224×224, 2 intra-op threads. Saliency and Grad-CAM find the predicted class inside the compiled graph (an in-graph arg-max seed), so they cost one forward+backward; IG and SmoothGrad add one clean forward pass for the target and the completeness delta.',
    '- Guided Grad-CAM runs one graph per call: one forward pass, the standard backward pass to the layer (Grad-CAM) and the guided backward pass to the input beside it (a plan\'s `also`). The row "as two graphs (before)" is what it ran until session 7: Grad-CAM with standard rules, then guided backprop with guided rules, two forward passes and two sessions whose spinning thread pools fought for the two cores. By default only batch-1 sessions spin: batched sessions (IG steps, SmoothGrad samples) leave the cores to the JavaScript work between their runs.',
    "- Read MobileNetV2's ratios against the core table too: its fwd+bwd reference here runs beside every other session of the same model (each ONNX Runtime session owns a thread pool, and recently used pools still hold the cores), and it can take twice the core table's time for the same call. Against the core table's batch-1 fwd+bwd, IG on MobileNetV2 is above the 1.15× goal; ResNet-18's rows are stable either way.",
    `- Peak RSS of integrated gradients with 200 steps on resnet18 (default internal batch 8, fresh process): ${rss === undefined ? 'not measured in --quick runs' : `${rss.toFixed(0)} MB (goal < 1,500 MB)`}.`,
  ].join('\n');
  return { title: 'Gradient methods against the bare forward/backward cost', body };
}
