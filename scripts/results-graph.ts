/**
 * Rebuilds only the explanatory-graph section of RESULTS.md (`scripts/results/graph.ts`):
 * `node --import tsx scripts/results-graph.ts [work folder]` (default: the system's temporary folder;
 * a rerun reuses the data sets and the trained net found there). `npm run results` rebuilds every section.
 */
import { graphSection } from './results/graph.js';
import { writeSection } from './results/section-file.js';

const section = await graphSection(process.argv[2]);
await writeSection('## Explanatory graph', section);
console.log(section);
