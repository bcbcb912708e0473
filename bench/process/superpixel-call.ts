/**
 * Child of the superpixel bench's "then and now" rows (issue #12 defect 12): times the whole
 * `lime` or `kernel-shap` call with no options (the library's own defaults, target the predicted
 * class) on one model and one image, `--calls` times in this process, using the Lucerna source
 * tree under `--root` (today's checkout, or an older commit's `src/` extracted beside a
 * `node_modules` link), and prints one JSON line `{ "wall": [...], "cpu": [...] }` (seconds; CPU of
 * all threads). Only APIs that exist in both trees are used: `loadModelFile`, `loadImageTensor`,
 * `lime`, `kernelShap` from `src/node.ts`.
 *
 * @example
 * ```sh
 * node --import tsx bench/process/superpixel-call.ts --root . --method lime --model m.onnx --image coffee.png --calls 3
 * ```
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    method: { type: 'string' },
    model: { type: 'string' },
    image: { type: 'string' },
    calls: { type: 'string', default: '3' },
  },
});

interface Lucerna {
  loadModelFile(path: string): Promise<{ input: { dims: readonly (number | string)[] }; dispose(): Promise<void> | void }>;
  loadImageTensor(path: string, options: object): Promise<{ tensor: unknown }>;
  lime: { attribute(model: unknown, x: unknown, options: object): Promise<unknown> };
  kernelShap: { attribute(model: unknown, x: unknown, options: object): Promise<unknown> };
}

const lucerna = (await import(pathToFileURL(join(values.root as string, 'src/node.ts')).href)) as Lucerna;
const sidecar = JSON.parse(await readFile((values.model as string).replace(/\.onnx$/, '.lucerna.json'), 'utf8')) as { preprocessing: object };
const model = await lucerna.loadModelFile(values.model as string);
const { tensor } = await lucerna.loadImageTensor(values.image as string, { ...sidecar.preprocessing, inputDims: model.input.dims });
const method = values.method === 'lime' ? lucerna.lime : lucerna.kernelShap;
const wall: number[] = [];
const cpu: number[] = [];
for (let i = 0; i < Number(values.calls); i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await method.attribute(model, tensor, {});
  wall.push((performance.now() - t0) / 1000);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1e6);
}
await model.dispose();
console.log(JSON.stringify({ wall, cpu }));
