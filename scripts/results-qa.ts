/**
 * Rebuilds only the active-QA section of RESULTS.md (`scripts/results/qa.ts`), replacing it in
 * place (or appending it): `node --import tsx scripts/results-qa.ts [--model parts-net.onnx]
 * [--layer a,b] [--seeds 10] [--questions 20] [--work dir]`. `npm run results` rebuilds every section.
 */

import { qaSection } from './results/qa.js';
import { writeSection } from './results/section-file.js';
import { scriptArgs } from './script-args.js';

const { values } = scriptArgs('scripts/results-qa.ts', {
  model: { type: 'string' },
  seeds: { type: 'string' },
  questions: { type: 'string' },
  work: { type: 'string' },
  layer: { type: 'string' },
});
const section = await qaSection({
  model: values.model,
  work: values.work,
  layers: values.layer,
  seeds: values.seeds ? Number(values.seeds) : undefined,
  questions: values.questions ? Number(values.questions) : undefined,
});
await writeSection('## Active question-answering part learning', section);
console.log(section);
