/**
 * Browser parity (issue #21): every gradient method of the registry, run in the studio's core
 * worker on onnxruntime-web (wasm) in Debian's Chromium, matches the same call in Node on
 * onnxruntime-node, on two of the shared oracle's models (tiny_cnn: ReLU + MaxPool;
 * small_mobilenet: ReLU6 = Clip, depthwise convolutions, residuals).
 *
 * Tolerance: max |browser − node| ≤ 1e-4 × max |node| (relative to the map's own scale, since
 * raw gradient maps range from 1e-4 to 1e2), and the explained classes are equal.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { methodList } from '../../src/attribution/methods.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { hasOracle, oracle, oracleDir, oracleTensor } from '../helpers/oracle.js';
import { attributeInPage, cancelInPage, loadModelInPage, openStudio, type StudioSession } from './studio-site.js';

const MODELS = ['tiny_cnn', 'small_mobilenet'] as const;
const TOLERANCE = 1e-4;

/**
 * Options per method where the defaults would be slow or random. Meaningful perturbation runs 2
 * Adam steps: Adam divides by the gradient's running RMS, so where a gradient is near zero a 1e-7
 * difference moves the mask by a full step; more steps compound that (on small_mobilenet 3 steps
 * give 6.7e-5 of the scale, 10 steps 2.6e-3), which is the optimiser's sensitivity, not the engine's.
 */
const OPTIONS: Record<string, Record<string, unknown>> = {
  'integrated-gradients': { steps: 8 },
  smoothgrad: { samples: 4, stdev: 0.1, seed: 3 },
  'smoothgrad-sq': { samples: 4, stdev: 0.1, seed: 3 },
  vargrad: { samples: 4, stdev: 0.1, seed: 3 },
  'meaningful-perturbation': { steps: 2 },
};

const gradientMethods = methodList().filter((m) => m.needs.gradients);

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i] as number));
  return m;
}

let studio: StudioSession;
before(async () => {
  if (!hasOracle()) return;
  const files = Object.fromEntries(MODELS.map((m) => [`/${m}.onnx`, join(oracleDir, m, 'model.onnx')]));
  // One wasm thread: parity needs no threads, and spinning threads only slow a shared machine.
  studio = await openStudio({ files, isolated: false });
});
after(() => studio?.close());

describe('browser parity: gradient methods in Chromium (onnxruntime-web) equal Node (onnxruntime-node)', { skip: !hasOracle() && 'no shared oracle' }, () => {
  it('the page runs the registry: every gradient method is offered', () => {
    const offered = studio.info.methods.filter((m) => m.needs.gradients).map((m) => m.name);
    assert.deepEqual(
      offered,
      gradientMethods.map((m) => m.name),
    );
    assert.ok(offered.length >= 15, `${offered.length} gradient methods`);
  });

  for (const name of MODELS) {
    it(`${name}: ${gradientMethods.length} gradient methods match to ${TOLERANCE} of the map scale`, async () => {
      const c = oracle().cases.find((k) => k.id === `${name}/blobs`)!;
      const x = oracleTensor(c.input_file, c.input_shape);
      const model = await Model.load(readFileSync(join(oracleDir, name, 'model.onnx')), { runtime: nodeRuntime, name });
      await loadModelInPage(studio.page, `/${name}.onnx`);
      const report: string[] = [];
      try {
        for (const method of gradientMethods) {
          const options = OPTIONS[method.name] ?? {};
          // The two engines run side by side: the browser's work is in its own processes.
          const [node, web] = await Promise.all([method.attribute(model, x, options), attributeInPage(studio.page, method.name, x, options)]);
          assert.deepEqual(web.shape, node.attribution.shape, `${method.name}: shape`);
          assert.deepEqual(web.targets, [...node.targets], `${method.name}: target`);
          const scale = maxAbs(node.attribution.data);
          assert.ok(scale > 0, `${method.name}: the Node map is all zeros, so the comparison would prove nothing`);
          let diff = 0;
          for (let i = 0; i < web.values.length; i++) diff = Math.max(diff, Math.abs((web.values[i] as number) - (node.attribution.data[i] as number)));
          report.push(`${method.name} ${(diff / scale).toExponential(1)}`);
          assert.ok(diff <= TOLERANCE * scale, `${method.name}: max |browser − node| = ${diff.toExponential(2)}, map scale ${scale.toExponential(2)}`);
        }
      } finally {
        await model.dispose();
      }
      console.error(`# ${name}: relative max diff ${report.join(', ')}`);
    });
  }
});

describe('the core worker reports progress and honours cancel', { skip: !hasOracle() && 'no shared oracle' }, () => {
  it('a long integrated-gradients run stops at its first progress report, and the worker serves the next call', async () => {
    const c = oracle().cases.find((k) => k.id === 'tiny_cnn/blobs')!;
    const x = oracleTensor(c.input_file, c.input_shape);
    await loadModelInPage(studio.page, '/tiny_cnn.onnx');
    const outcome = await cancelInPage(studio.page, 'integrated-gradients', x, { steps: 4096, batchSize: 8 });
    assert.ok(outcome.progress.length >= 1, `no progress was reported: ${JSON.stringify(outcome)}`);
    const [done, total] = outcome.progress[0]!;
    assert.ok(done > 0 && done < total, `first progress ${done}/${total}`);
    assert.equal(outcome.error?.name, 'CoreError');
    assert.equal(outcome.error?.code, 'ABORTED');
    const after = await attributeInPage(studio.page, 'saliency', x, {});
    assert.deepEqual(after.targets, [c.target]);
  });
});
