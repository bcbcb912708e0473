/**
 * Feature-visualization benchmark: optimisation steps per second at 224×224 (one engine call for
 * parameters → image → transforms → model → objective → gradient, plus the Adam update in
 * TypeScript), against the bare compiled forward+backward of the same model in the same run.
 */
import { readFileSync } from 'node:fs';
import { defaultModelPath } from '../src/convert/nsfwjs.js';
import { Model } from '../src/engine/model.js';
import { nodeRuntime } from '../src/engine/node.js';
import type { PixelOptions } from '../src/io/preprocess.js';
import { seededRandom } from '../src/tensor/random.js';
import { channel } from '../src/visualization/objectives.js';
import { Adam } from '../src/visualization/optimize.js';
import { imageParameterization, type SpatialParameterization } from '../src/visualization/parameterizations.js';
import { compileImageProgram } from '../src/visualization/program.js';
import { standardTransforms } from '../src/visualization/transforms.js';
import { BENCH_MODELS, lastConvBlock, loadBenchModel, randomInput } from './models.js';
import { type Section, table } from './report.js';
import type { SectionOptions } from './sections.js';
import { ms, ratio, timeMedian } from './timing.js';

interface Row {
  readonly model: string;
  readonly setup: string;
  readonly stepMs: number;
  readonly fwdBwdMs: number;
}

const SIZE = 224;
const THREADS = 2;

interface Subject {
  readonly name: string;
  readonly load: () => Promise<Model>;
  readonly pixels?: PixelOptions;
}

const subjects: Subject[] = [
  {
    name: 'resnet18',
    load: () => loadBenchModel(BENCH_MODELS.find((m) => m.name === 'resnet18') ?? (BENCH_MODELS[0] as (typeof BENCH_MODELS)[number]), THREADS),
  },
  {
    name: 'MobileNetV2 (bundled, nsfwjs)',
    load: async () =>
      Model.load(new Uint8Array(readFileSync(await defaultModelPath({ logits: true }))), { runtime: nodeRuntime, threads: THREADS, name: 'nsfwjs' }),
    pixels: { normalization: 'unit', layout: 'NCHW', channelOrder: 'RGB', channels: 3 },
  },
];

/** Median milliseconds of one optimisation step (engine call + Adam) for a setup. */
async function stepTime(
  model: Model,
  layer: string,
  spatial: SpatialParameterization,
  transforms: boolean,
  pixels: PixelOptions | undefined,
  reps: number,
): Promise<number> {
  const parameterization = imageParameterization(1, [SIZE, SIZE], { spatial });
  await using program = await compileImageProgram(model, {
    parameterization,
    objective: channel(layer, 0),
    transforms: transforms ? standardTransforms(SIZE) : [],
    pixels,
  });
  const uniform = seededRandom(1);
  const params = parameterization.initial(uniform);
  const adam = new Adam(params.length);
  return await timeMedian(
    async () => {
      const { gradient } = await program.step(params, uniform);
      for (let i = 0; i < gradient.length; i++) gradient[i] = -(gradient[i] as number);
      adam.step(params, gradient);
    },
    { reps },
  );
}

/** Runs the visualization benchmark. */
export async function benchVisualization(o: SectionOptions): Promise<Section> {
  const rows: Row[] = [];
  const reps = Math.max(5, o.reps);
  for (const s of subjects) {
    await using model = await s.load();
    const shape = [1, 3, SIZE, SIZE];
    const output = model.outputNames[0] as string;
    const full = await model.compile({ seeds: [output] }, shape);
    const x = randomInput(shape);
    const classes = full.shapeOf(output);
    const seed = { data: new Float32Array(classes.reduce((a, d) => a * d, 1)).fill(0), shape: classes };
    seed.data[0] = 1;
    const fwdBwdMs = await timeMedian(() => full.run({ input: x, seeds: { [output]: seed } }), { reps });
    const layer = await lastConvBlock(model);
    const setups: [string, SpatialParameterization, boolean][] = [
      ['fourier + decorrelated + standard transforms', 'fourier', true],
      ['pixel, no transforms', 'pixel', false],
    ];
    for (const [setup, spatial, transforms] of setups) {
      const stepMs = await stepTime(model, layer, spatial, transforms, s.pixels, reps);
      rows.push({ model: s.name, setup: `channel 0 of the last conv block; ${setup}`, stepMs, fwdBwdMs });
      console.error(`visualization ${s.name} ${setup}: ${stepMs.toFixed(1)} ms/step (${(stepMs / fwdBwdMs).toFixed(2)}× fwd+bwd ${fwdBwdMs.toFixed(1)} ms)`);
    }
  }
  const body = [
    table(
      ['model', 'objective and setup', 'step (ms)', 'steps/s', 'fwd+bwd (ms)', 'step / fwd+bwd'],
      rows.map((r) => [r.model, r.setup, ms(r.stepMs), (1000 / r.stepMs).toFixed(1), ms(r.fwdBwdMs), ratio(r.stepMs / r.fwdBwdMs)]),
    ),
    '',
    `- ${SIZE}×${SIZE}, batch 1, ${THREADS} intra-op threads. A step is one engine call (parameters → image → transforms → model → objective → gradient with respect to the parameters) plus the Adam update in TypeScript.`,
    '- fwd+bwd is the compiled forward pass and the full backward pass to the input of the same model, seeded at its output, measured in the same run.',
    '- The step runs only the part of the model the objective needs (here everything up to the last conv block), so it skips the classifier head but adds the parameterization, the transforms and their backward pass.',
  ].join('\n');
  return { title: 'Feature visualization: optimisation steps against the bare forward/backward cost', body };
}
