/**
 * Every registered attribution method, one call each at small stated settings, against the bare
 * ORT cost of the passes it needs (section `registry` of `npm run bench`): resnet18, batch 1,
 * 224×224, 2 threads, in the same run. The method list is the registry's, so a new method gets a
 * row by itself (with its defaults, until it gets settings here).
 */
import { defaultCamLayer } from '../src/attribution/layers.js';
import { methodList } from '../src/attribution/methods.js';
import type { Model } from '../src/engine/model.js';
import { BENCH_MODELS, loadBenchModel, oneHotRows, randomInput } from './models.js';
import { type Section, table } from './report.js';
import type { SectionOptions } from './sections.js';
import { ms, ratio, timeMedian } from './timing.js';

/** What a setting costs in bare passes: `count` forward passes, or forward+backward passes. */
interface Cost {
  readonly count: number;
  readonly unit: 'fwd' | 'fwd+bwd';
}

interface Setting {
  readonly options: Readonly<Record<string, unknown>>;
  /** The passes the method cannot do without, as the reference. */
  readonly cost: (channels: number) => Cost;
  readonly text: string;
}

const one =
  (unit: Cost['unit'], count = 1) =>
  () => ({ count, unit });
const grid = (cell: number, size: number) => {
  const side = Math.ceil(size / cell);
  const data = new Int32Array(size * size).map((_, p) => Math.floor(Math.floor(p / size) / cell) * side + Math.floor((p % size) / cell));
  return { data, shape: [1, 1, size, size] };
};

/** Settings by method name; every other registered method runs with its defaults and no reference. */
const SETTINGS: Readonly<Record<string, Setting>> = {
  saliency: { options: {}, cost: one('fwd+bwd'), text: 'defaults' },
  'input-x-gradient': { options: {}, cost: one('fwd+bwd'), text: 'defaults' },
  'integrated-gradients': { options: { steps: 8, batchSize: 8 }, cost: one('fwd+bwd', 8), text: '8 steps, batch 8' },
  smoothgrad: { options: { samples: 8, batchSize: 8 }, cost: one('fwd+bwd', 8), text: '8 samples, batch 8' },
  'smoothgrad-sq': { options: { samples: 8, batchSize: 8 }, cost: one('fwd+bwd', 8), text: '8 samples, batch 8' },
  vargrad: { options: { samples: 8, batchSize: 8 }, cost: one('fwd+bwd', 8), text: '8 samples, batch 8' },
  'guided-backprop': { options: {}, cost: one('fwd+bwd'), text: 'defaults' },
  'guided-backprop-clip': { options: {}, cost: one('fwd+bwd'), text: 'defaults' },
  deconvnet: { options: {}, cost: one('fwd+bwd'), text: 'defaults' },
  'grad-cam': { options: {}, cost: one('fwd+bwd'), text: 'default layer' },
  'grad-cam-plus-plus': { options: {}, cost: one('fwd+bwd'), text: 'default layer' },
  'layer-cam': { options: {}, cost: one('fwd+bwd'), text: 'default layer' },
  'hires-cam': { options: {}, cost: one('fwd+bwd'), text: 'default layer' },
  cam: { options: {}, cost: one('fwd'), text: 'default layer' },
  'guided-grad-cam': {
    options: {},
    cost: one('fwd+bwd'),
    text: 'default layer (one graph: one forward, the standard backward to the layer and the guided one to the input)',
  },
  deeplift: {
    options: {},
    cost: one('fwd+bwd'),
    text: 'zeros reference (input and reference forward in one batch of 2, backward on the input row only; no forward pass of its own)',
  },
  'score-cam': { options: {}, cost: (c) => ({ count: c + 1, unit: 'fwd' }), text: 'default layer, one masked pass per channel' },
  'ablation-cam': { options: {}, cost: one('fwd'), text: 'default layer, channels ablated in the graph after it' },
  'meaningful-perturbation': { options: { steps: 20 }, cost: one('fwd+bwd', 20), text: '20 steps' },
  occlusion: { options: { window: [3, 32, 32], strides: [3, 32, 32] }, cost: one('fwd', 50), text: 'window 3×32×32, stride 32 (49 windows)' },
  'feature-ablation': { options: { featureMask: grid(28, 224) }, cost: one('fwd', 65), text: '28-px grid (64 features)' },
  rise: { options: { masks: 64 }, cost: one('fwd', 65), text: '64 masks' },
  lime: { options: { samples: 64 }, cost: one('fwd', 65), text: '64 samples, 50 SLIC superpixels' },
  'kernel-shap': { options: { samples: 64 }, cost: one('fwd', 66), text: '64 coalitions, 50 SLIC superpixels' },
};

async function layerChannels(model: Model, layer: string): Promise<number> {
  const prepared = await model.prepare(model.inputShape(1));
  return prepared.shapes.get(layer)?.[1] ?? 0;
}

/** Runs the section. */
export async function benchRegistry(o: SectionOptions): Promise<Section> {
  const bm = BENCH_MODELS.find((m) => m.name === 'resnet18');
  if (!bm) throw new Error('resnet18 bench model missing');
  await using model = await loadBenchModel(bm, 2);
  const x = randomInput(model.inputShape(1));
  const layer = await defaultCamLayer(model);
  const channels = await layerChannels(model, layer);
  const full = await model.compile({ seeds: ['logits'] }, x.shape);
  const seed = oneHotRows(1, 1000);
  const reps = o.quick ? 1 : 3;
  const bare = {
    fwd: await timeMedian(() => model.run(x), { reps: o.reps }),
    'fwd+bwd': await timeMedian(() => full.run({ input: x, seeds: { logits: seed } }), { reps: o.reps }),
  };
  const rows: string[][] = [];
  for (const method of methodList()) {
    const setting = SETTINGS[method.name];
    const time = await timeMedian(() => method.attribute(model, x, { target: 1, ...(setting?.options ?? {}) }), { reps, warmup: 1, maxMs: 60000 });
    const cost = setting?.cost(channels);
    const reference = cost ? cost.count * bare[cost.unit] : undefined;
    console.error(`registry ${method.name}: ${time.toFixed(0)} ms${reference ? ` (${(time / reference).toFixed(2)}× ${cost?.count} × ${cost?.unit})` : ''}`);
    rows.push([
      method.name,
      setting?.text ?? 'defaults (no settings row yet)',
      ms(time),
      cost ? `${cost.count} × ${cost.unit}` : '—',
      reference ? ms(reference) : '—',
      reference ? ratio(time / reference) : '—',
    ]);
  }
  const body = `resnet18, batch 1, 224×224, 2 threads, target 1; bare \`Model.run\` ${ms(bare.fwd)} ms and compiled forward+backward ${ms(bare['fwd+bwd'])} ms (medians of ${o.reps}) in the same run; each method the median of ${reps} calls after one warm-up. The reference is the passes the method needs at that setting (Score-CAM: one per channel of ${layer}, ${channels} channels; Ablation-CAM's passes run only the graph after the layer, so one forward pass is a floor, not its cost). The references are batch-1 passes; methods that batch their passes (IG, SmoothGrad, the perturbation methods) can come in below 1×.\n\n${table(
    ['method', 'setting', 'time (ms)', 'reference passes', 'reference (ms)', 'ratio'],
    rows,
  )}`;
  return { title: 'Every registered method against its bare passes', body };
}
