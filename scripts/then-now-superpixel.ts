/**
 * Only the "then and now" table of the superpixel bench (issue #12 defect 12), not a test: LIME's
 * and KernelSHAP's whole default calls as the code was when the issue was filed and as it is now,
 * in fresh processes (bench/superpixel-then-now.ts), without the paired fidelity check that
 * `npm run bench -- --only superpixel` runs around it (≈ 1 min instead of ≈ 40 on a quiet machine).
 * Prints the Markdown paragraph and table of BENCHMARKS.md's section.
 *
 * @example
 * ```sh
 * node --import tsx scripts/then-now-superpixel.ts --calls 3
 * ```
 */
import { fileURLToPath } from 'node:url';
import { scriptArgs } from './script-args.js';
import '../src/node.js';
import { thenNowTable } from '../bench/superpixel.js';
import { openModel } from '../src/cli/model.js';

const { values } = scriptArgs('scripts/then-now-superpixel.ts', { calls: { type: 'string', default: '3' } });
const image = fileURLToPath(new URL('../assets/images/coffee.png', import.meta.url));
const opened = await openModel('bundled');
const file = opened.file as string;
await opened[Symbol.asyncDispose]();
console.log(await thenNowTable(file, image, Number(values.calls)));
