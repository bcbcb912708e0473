/**
 * Measures nets that `scripts/results-icnn.ts` kept (`LUCERNA_RESULTS_KEEP=1`) with the round
 * receptive-field part measure (`rfMeasures` in `scripts/results/icnn.ts`), without training them
 * again: the same numbers the section's command computes for those rows, since its training is
 * deterministic. Prints one JSON line per row.
 *
 * Run: `node --import tsx scripts/results-icnn-remeasure.ts --work <kept folder> [--seeds 0] [--rows bird,fish,multi]
 * [--layer Relu_33] [--size 128]`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeRuntime } from '../src/engine/node.js';
import { setDefaultRuntime } from '../src/engine/runtime.js';
import { rfMeasures, rowModel } from './results/icnn.js';
import { ICNN_DEFAULTS } from './results/icnn-settings.js';
import { type ScriptOptions, scriptArgs, scriptUsage } from './script-args.js';

const SCRIPT = 'scripts/results-icnn-remeasure.ts';
const options: ScriptOptions = {
  work: { type: 'string' },
  seeds: { type: 'string', default: '0' },
  rows: { type: 'string', default: ICNN_DEFAULTS.rows },
  layer: { type: 'string', default: ICNN_DEFAULTS.layer },
  size: { type: 'string', default: String(ICNN_DEFAULTS.size) },
};

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n${scriptUsage(SCRIPT, options)}\n`);
  process.exit(2);
}

const { values } = scriptArgs(SCRIPT, options);
const work = values.work ?? fail('--work <kept folder> is required');
const parts = join(work, 'parts');
if (!existsSync(join(parts, 'classes'))) fail(`${work} is not a kept results-icnn work folder (no parts/classes)`);
const size = Number(values.size);
if (!Number.isInteger(size) || size < 1) fail(`--size takes a positive integer, got "${values.size}"`);
const s = { ...ICNN_DEFAULTS, layer: values.layer as string, size };
setDefaultRuntime(nodeRuntime);
const scratch = await mkdtemp(join(tmpdir(), 'lucerna-remeasure-'));
try {
  for (const seed of (values.seeds as string).split(',').map(Number)) {
    for (const row of (values.rows as string).split(',').map((r) => r.trim())) {
      const cls = row === 'multi' ? undefined : row;
      const name = cls ? `single ${cls}` : 'multi (bird, fish, none)';
      const classes = cls ? join(work, `pair-${cls}`) : join(parts, 'classes');
      const model = rowModel(work, name, seed);
      const [plainNet, icnnNet] = ['-plain.onnx', '-icnn.onnx'].map((end) => model.replace('.onnx', end)) as [string, string];
      if (!existsSync(plainNet) || !existsSync(icnnNet)) fail(`${work} has no nets of ${name}, seed ${seed}`);
      const out = join(scratch, `${row}-s${seed}`);
      const plain = await rfMeasures(s, parts, classes, plainNet, `${out}-plain`, cls, false);
      const icnn = await rfMeasures(s, parts, classes, icnnNet, `${out}-icnn`, cls, true, plain.rfRadius);
      process.stdout.write(`${JSON.stringify({ name, seed, plain, icnn })}\n`);
    }
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}
