/**
 * Rebuilds only the active-QA section of RESULTS.md (`scripts/results/qa.ts`), replacing it in
 * place (or appending it): `node --import tsx scripts/results-qa.ts [--model parts-net.onnx]
 * [--layer a,b] [--seeds 10] [--questions 20] [--work dir]`. `npm run results` rebuilds every section.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { qaSection } from './results/qa.js';

const { values } = parseArgs({
  options: { model: { type: 'string' }, seeds: { type: 'string' }, questions: { type: 'string' }, work: { type: 'string' }, layer: { type: 'string' } },
});
const section = await qaSection({
  model: values.model,
  work: values.work,
  layers: values.layer,
  seeds: values.seeds ? Number(values.seeds) : undefined,
  questions: values.questions ? Number(values.questions) : undefined,
});
const heading = '## Active question-answering part learning';
const old = await readFile('RESULTS.md', 'utf8');
const start = old.indexOf(heading);
const end = start < 0 ? -1 : old.indexOf('\n## ', start + heading.length);
const updated = start < 0 ? `${old.trimEnd()}\n\n${section}` : `${old.slice(0, start)}${section}${end < 0 ? '' : old.slice(end + 1)}`;
await writeFile('RESULTS.md', updated);
console.log(section);
