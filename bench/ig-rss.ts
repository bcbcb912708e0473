/**
 * Measures the peak RSS of integrated gradients with 200 steps on resnet18 (run in its own process
 * by bench/methods.ts so the number is not inflated by earlier benchmarks).
 */
import { readFileSync } from 'node:fs';
import { integratedGradients } from '../src/attribution/gradient/integrated-gradients.js';
import { BENCH_MODELS, loadBenchModel, randomInput } from './models.js';

const resnet = BENCH_MODELS.find((m) => m.name === 'resnet18');
if (!resnet) throw new Error('resnet18 missing');
await using model = await loadBenchModel(resnet, 2);
await integratedGradients.attribute(model, randomInput(model.inputShape(1)), { target: 1, steps: 200 });
// VmHWM is this process's own peak; getrusage's maxRSS would include the parent's size at spawn
// (Linux keeps ru_maxrss across fork and exec), which inflated the number when run from the bench.
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
console.log(`peak-rss-mb ${(hwm ? Number(hwm[1]) / 1024 : process.resourceUsage().maxRSS / 1024).toFixed(1)}`);
