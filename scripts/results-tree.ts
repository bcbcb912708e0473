/**
 * Rebuilds only the decision-tree section of RESULTS.md (`node --import tsx scripts/results-tree.ts
 * [work-dir]`, a few minutes of CPU); `npm run results` rebuilds it with the rest.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { treeSection } from './results/tree.js';

const section = await treeSection(process.argv[2]);
const old = await readFile('RESULTS.md', 'utf8').catch(() => '# Results\n\nRebuilt by `npm run results`.\n\n');
const start = old.indexOf('## Decision tree of rationales');
const next = start < 0 ? -1 : old.indexOf('\n## ', start + 1);
const text = start < 0 ? `${old.trimEnd()}\n\n${section}` : `${old.slice(0, start)}${section}${next < 0 ? '' : old.slice(next + 1)}`;
await writeFile('RESULTS.md', text);
console.log(section);
