/**
 * Rebuilds only the decision-tree section of RESULTS.md (`node --import tsx scripts/results-tree.ts
 * [work-dir]`, a few minutes of CPU); `npm run results` rebuilds it with the rest.
 */

import { writeSection } from './results/section-file.js';
import { treeSection } from './results/tree.js';

const section = await treeSection(process.argv[2]);
await writeSection('## Decision tree of rationales', section);
console.log(section);
