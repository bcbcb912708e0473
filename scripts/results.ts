/**
 * Rebuilds RESULTS.md: each section runs its experiment and returns markdown with its commands and
 * seeds. Run with `npm run results` (minutes; not part of `npm test`).
 */
import { writeFile } from 'node:fs/promises';
import { dissectionSection } from './results/dissection.js';
import { qaSection } from './results/qa.js';

const sections = [await dissectionSection(), await qaSection()];
await writeFile('RESULTS.md', `# Results\n\nRebuilt by \`npm run results\`.\n\n${sections.join('\n')}`);
console.log('RESULTS.md written');
