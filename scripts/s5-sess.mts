import '../src/node.js';
import { readFileSync } from 'node:fs';
import { nodeRuntime } from '../src/engine/node.js';
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
let c = cpu();
const lap = (what: string) => { const c2 = cpu(); const r = (c2 - c).toFixed(2); c = c2; return r; };
const bytes = readFileSync('/work/shared/models/resnet18.onnx'); lap('read');
const x = { data: new Float32Array(1 * 3 * 224 * 224).fill(0.3), shape: [1, 3, 224, 224] };
(await nodeRuntime.createSession(bytes, {})).dispose(); lap('');
for (const opt of ['all', 'extended', 'basic', 'all', 'extended', 'basic'] as const) {
  const s = await nodeRuntime.createSession(bytes, { optimization: opt, spinning: false }); const create = lap('');
  await s.run({ [s.inputNames[0]!]: x }); const first = lap('');
  for (let i = 0; i < 20; i++) await s.run({ [s.inputNames[0]!]: x });
  console.log(opt, 'create', create, 'first run', first, 'run x5', lap(''));
  await s.dispose();
}
