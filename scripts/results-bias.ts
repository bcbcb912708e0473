/**
 * Rebuilds only the bias-discovery section of RESULTS.md (`scripts/results/bias.ts`):
 * `node --import tsx scripts/results-bias.ts [--work dir]` (a new or empty folder, or one this
 * script made: its steps are reused; a bare `dir` works too; about 10 minutes of CPU: four
 * trainings). A refused work folder is one line on stderr. `npm run results` rebuilds every section.
 */
import { parseArgs } from 'node:util';
import { biasSection } from './results/bias.js';
import { writeSection } from './results/section-file.js';

const { values, positionals } = parseArgs({ options: { work: { type: 'string' } }, allowPositionals: true });
try {
  const section = await biasSection(values.work ?? positionals[0]);
  await writeSection('## Bias discovery', section);
  console.log(section);
} catch (e) {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
