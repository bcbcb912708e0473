/**
 * Rebuilds only the explanatory-graph section of RESULTS.md (`scripts/results/graph.ts`):
 * `node --import tsx scripts/results-graph.ts`. `npm run results` rebuilds every section.
 */
import { graphSection } from './results/graph.js';
import { writeSection } from './results/section-file.js';

const section = await graphSection();
await writeSection('## Explanatory graph', section);
console.log(section);
