/**
 * `npm run bench`: times every method against the bare ORT forward/backward cost on the same model
 * in the same run, and writes BENCHMARKS.md.
 *
 * Flags: --quick (fewer repetitions), --only <a,b> (those sections: `core` or a name of
 * `sectionRunners` in sections.ts; an unknown name is refused; only those sections of an existing
 * --out file are replaced, the rest is kept), --out <file>.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchCore } from './core.js';
import { coreSection, type Section, writeReport } from './report.js';
import { sectionRunners } from './sections.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string', default: resolve(import.meta.dirname, '../BENCHMARKS.md') },
  },
});

const startedAt = new Date();
const t0 = performance.now();
const reps = values.quick ? 5 : 15;
const sections: Section[] = [];
const want = (name: string) => !values.only || values.only.split(',').includes(name);
const known = ['core', ...Object.keys(sectionRunners)];
const unknown = (values.only?.split(',') ?? []).filter((n) => !known.includes(n));
if (unknown.length > 0) {
  console.error(`unknown section ${unknown.join(', ')}; sections: ${known.join(', ')}`);
  process.exit(2);
}
if (want('core')) sections.push(coreSection(await benchCore({ reps, batches: [1, 8], threads: [1, 2] })));
for (const [name, run] of Object.entries(sectionRunners)) {
  if (want(name)) sections.push(await run({ reps, quick: values.quick ?? false }));
}
writeReport(values.out as string, sections, startedAt, (performance.now() - t0) / 1000, values.only !== undefined);
console.error(`wrote ${values.out}`);
