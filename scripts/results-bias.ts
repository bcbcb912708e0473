/**
 * Rebuilds only the bias-discovery section of RESULTS.md (`scripts/results/bias.ts`):
 * `node --import tsx scripts/results-bias.ts [work-dir]` (a new or empty folder, or one this script made: its steps are reused) (about 10 minutes of CPU: four trainings).
 * `npm run results` rebuilds every section.
 */
import { biasSection } from './results/bias.js';
import { writeSection } from './results/section-file.js';

const section = await biasSection(process.argv[2]);
await writeSection('## Bias discovery', section);
console.log(section);
