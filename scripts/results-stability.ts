/**
 * Rebuilds only the trained-vs-random stability and part-interpretability section of RESULTS.md
 * (`node --import tsx scripts/results-stability.ts [work-dir]`, a few minutes of CPU; the nets are
 * reused from the work folder when there); `npm run results` rebuilds it with the rest.
 */
import { writeSection } from './results/section-file.js';
import { stabilitySection } from './results/stability.js';

const section = await stabilitySection(process.argv[2]);
await writeSection('## Location instability and part interpretability', section);
console.log(section);
