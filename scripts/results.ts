/**
 * Rebuilds RESULTS.md: each section runs its experiment and returns markdown with its commands and
 * seeds. Run with `npm run results` (minutes; not part of `npm test`).
 */
import { writeFile } from 'node:fs/promises';
import { biasSection } from './results/bias.js';
import { dissectionSection } from './results/dissection.js';
import { graphSection } from './results/graph.js';
import { icnnSection } from './results/icnn.js';
import { ICNN_RESNET18 } from './results/icnn-settings.js';
import { qaSection } from './results/qa.js';
import { stabilitySection } from './results/stability.js';
import { treeSection } from './results/tree.js';

// The stability and tree sections share one work folder, so the parts nets are trained once.
const sections = [
  await dissectionSection(),
  await icnnSection(),
  await graphSection(),
  await qaSection(),
  await treeSection(),
  await stabilitySection(),
  await biasSection(),
  await icnnSection(ICNN_RESNET18),
];
await writeFile('RESULTS.md', `# Results\n\nRebuilt by \`npm run results\`.\n\n${sections.join('\n')}`);
console.log('RESULTS.md written');
