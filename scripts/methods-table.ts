/**
 * Writes `docs/methods.md` from the method registry (`npm run docs:methods`).
 *
 * @example
 * ```sh
 * npm run docs:methods
 * ```
 */
import { writeFileSync } from 'node:fs';
import { methodsMarkdown } from '../src/attribution/docs-table.js';

const path = new URL('../docs/methods.md', import.meta.url);
writeFileSync(path, methodsMarkdown());
process.stdout.write(`wrote ${path.pathname}\n`);
