/**
 * A quick timing of LIME and KernelSHAP at their defaults on the bundled model (issue #12 defect
 * 12), not a test: where the time goes (forward passes vs the rest) and what the internal batch
 * size changes. `node --import tsx scripts/time-superpixel.ts [--batches 8,32,64] [--methods lime,kernel-shap] [--samples n]`
 *
 * Measured 2026-12-03 (coffee.png, defaults, load average 16–70 on 2 shared cores, so wall times are
 * not meaningful; CPU time is the whole process, ONNX Runtime's threads included):
 * - LIME (1,000 samples): 6.6 / 7.3 / 8.7 s CPU at internal batch 8 / 32 / 64; forward passes
 *   91–95 % of the wall time; the maps are identical at every batch size.
 * - KernelSHAP (2,148 coalitions): 17.7 / 13.4 / 15.2 s CPU at batch 8 / 32 / 64; forward 95–97 %.
 * So a larger internal batch is no lever (no consistent trend), the session is already cached per
 * batch shape, superpixel runs are already reused by the fill, and the regression is < 1 % of the
 * time. About 6.6 ms of CPU per MobileNetV2 forward pass is the floor. Derived, not measured on an
 * idle machine: with both cores free LIME's default would take 3.3–6.6 s wall and KernelSHAP's
 * 6.7–13.4 s, below issue #12's 24 s / 35 s, which suggests those were measured under load; only
 * fewer passes (fidelity cost, see `DEFAULT_LIME_SAMPLES`) go further.
 *
 * @example
 * ```sh
 * node --import tsx scripts/time-superpixel.ts --batches 32
 * ```
 */
import { fileURLToPath } from 'node:url';
import { scriptArgs } from './script-args.js';
import '../src/node.js';
import { getMethod } from '../src/attribution/methods.js';
import type { Scorer } from '../src/attribution/perturbation/scorer.js';
import { modelScorer } from '../src/attribution/perturbation/scorer.js';
import { openModel } from '../src/cli/model.js';
import { loadImageTensor } from '../src/io/image.js';

const { values } = scriptArgs('scripts/time-superpixel.ts', {
  batches: { type: 'string', default: '32' },
  methods: { type: 'string', default: 'lime,kernel-shap' },
  samples: { type: 'string' },
});
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const image = fileURLToPath(new URL('../assets/images/coffee.png', import.meta.url));
await using opened = await openModel('bundled');
const { model } = opened;
const { tensor: x } = await loadImageTensor(image, { ...opened.preprocessing, inputDims: model.input.dims });

function timed(inner: Scorer): { scorer: Scorer; ms: () => number } {
  let ms = 0;
  return {
    scorer: {
      ...inner,
      async score(batch, signal) {
        const t = performance.now();
        const out = await inner.score(batch, signal);
        ms += performance.now() - t;
        return out;
      },
    },
    ms: () => ms,
  };
}

for (const name of (values.methods as string).split(',')) {
  for (const batchSize of (values.batches as string).split(',').map(Number)) {
    const method = getMethod(name);
    // Warm the session for this batch size first (session creation is not the method's cost).
    await modelScorer(model, { batchSize }).score({ data: new Float32Array(x.data.length * batchSize), shape: [batchSize, ...x.shape.slice(1)] });
    const { scorer, ms } = timed(modelScorer(model, { batchSize }));
    const t0 = performance.now();
    const c0 = cpuSeconds();
    const samples = values.samples ? { samples: Number(values.samples) } : {};
    const r = await method.attribute(model, x, { scorer, target: 0, batchSize, ...samples } as never);
    const total = performance.now() - t0;
    const cpu = cpuSeconds() - c0;
    const w = ((r.details?.weights ?? []) as Float64Array[])[0] ?? new Float64Array(0);
    console.log(
      `${name} batch ${batchSize}: ${(total / 1000).toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU (all threads), forward ${((100 * ms()) / total).toFixed(1)} %, rest ${((total - ms()) / 1000).toFixed(2)} s; w[0..3] ${[...w.slice(0, 3)].map((v) => v.toFixed(5)).join(' ')}`,
    );
  }
}
