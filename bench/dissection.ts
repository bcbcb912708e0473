/**
 * Network Dissection benchmark: `lucerna dissect` (both passes, tally.csv, result.json and the HTML
 * report) on 120 generated 224-px concept images, resnet18 (random torchvision weights) layer3 and
 * layer4 in one run, against the bare forward pass of the same trunk over the same batches (image
 * decoding included) in the same run. The job is timed in-process (the command's own work) and as a
 * fresh process of the built CLI (`node bin/lucerna.js dissect …`: Node start, module loading and
 * exit included), the figure the ≤ 4.5 s goal is about, twice: warm (the compile cache already holds
 * the trunk session, as for any later dissection of those layers) and cold (an empty cache folder:
 * the session is optimised and stored). The bare forward pass and the in-process job share
 * the section's own cache folder, warmed by one untimed run first, so both open the same stored
 * session. NetDissect-Lite (PyTorch 1.13, HTML off) takes 11.2–11.6 s for the same job on this
 * 2-core machine (measured by the project's maintainers).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJson } from '../src/cli/in-process.js';
import { openBroden } from '../src/datasets/broden/node.js';
import { openLayerTrunk } from '../src/dissection/forward.js';
import { nodeRuntime } from '../src/engine/node.js';
import { diskCompileStore, withCompileCache } from '../src/engine/node-cache.js';
import { setDefaultRuntime } from '../src/engine/runtime.js';
import { loadModelFile } from '../src/io/files.js';
import { loadImageTensor } from '../src/io/image.js';
import { BENCH_MODELS } from './models.js';
import { ensureBuild, repoRoot, timeProcess } from './process/run.js';
import { type Section, table } from './report.js';
import type { SectionOptions } from './sections.js';

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const LAYERS = ['/layer3/layer3.1/relu_1/Relu_output_0', '/layer4/layer4.1/relu_1/Relu_output_0'];

export async function benchDissection(o: SectionOptions): Promise<Section> {
  setDefaultRuntime(nodeRuntime);
  const dir = await mkdtemp(join(tmpdir(), 'lucerna-bench-dissect-'));
  const savedCacheDir = process.env.LUCERNA_CACHE_DIR;
  try {
    // The section's own compile cache: the in-process job (the CLI's runtime) and the bare forward pass use it.
    const cacheDir = join(dir, 'cache');
    process.env.LUCERNA_CACHE_DIR = cacheDir;
    const data = join(dir, 'concepts');
    await runJson('dataset', 'concepts', '--out', data, '--n', '120', '--seed', '1');
    const resnet = BENCH_MODELS.find((m) => m.name === 'resnet18');
    if (!resnet) throw new Error('resnet18 bench model missing');
    const set = await openBroden(data);
    await ensureBuild();
    const job = (out: string) => ['dissect', resnet.file, '--dataset', data, '--layer', LAYERS.join(','), '--out', out];
    // Untimed: store the trunk session for this process (the sources) and for the built CLI (its
    // own compiled code: another cache key), and warm this process's code.
    await runJson(...job(join(dir, 'warm-up')));
    const env = { LUCERNA_FROM_DIST: '1', LUCERNA_CACHE_DIR: cacheDir };
    await timeProcess(process.execPath, ['bin/lucerna.js', ...job(join(dir, 'warm-up-process'))], { cwd: repoRoot, env });
    const rows: string[][] = [];
    for (let rep = 0; rep < (o.quick ? 1 : 2); rep++) {
      const cpu0 = cpuSeconds();
      const t0 = performance.now();
      {
        const runtime = withCompileCache(nodeRuntime, diskCompileStore({ dir: join(cacheDir, 'compiled') }));
        await using model = await loadModelFile(resnet.file, { runtime, threads: 2, name: resnet.name });
        await using trunk = await openLayerTrunk(model, LAYERS, [3, 224, 224], 8);
        const items = set.rows.map((row) => ({ name: row.image, image: async () => (await loadImageTensor(set.imagePath(row), { size: [224, 224] })).tensor }));
        await trunk.run(items, () => undefined, {});
      }
      const bare = (performance.now() - t0) / 1000;
      const bareCpu = cpuSeconds() - cpu0;
      const cpu1 = cpuSeconds();
      const t1 = performance.now();
      const s = await runJson(...job(join(dir, `out${rep}`)));
      const whole = (performance.now() - t1) / 1000;
      const wholeCpu = cpuSeconds() - cpu1;
      const timing = (s as { timing?: Record<string, number> }).timing ?? {};
      const args = ['bin/lucerna.js', ...job(join(dir, `proc${rep}`))];
      const warm = await timeProcess(process.execPath, args, { cwd: repoRoot, env });
      const coldArgs = ['bin/lucerna.js', ...job(join(dir, `cold${rep}`))];
      const cold = await timeProcess(process.execPath, coldArgs, {
        cwd: repoRoot,
        env: { LUCERNA_FROM_DIST: '1', LUCERNA_CACHE_DIR: join(dir, `empty-cache-${rep}`) },
      });
      rows.push([
        String(rep + 1),
        bare.toFixed(2),
        bareCpu.toFixed(2),
        whole.toFixed(2),
        wholeCpu.toFixed(2),
        (whole / bare).toFixed(2),
        (wholeCpu / bareCpu).toFixed(2),
        warm.wall.toFixed(2),
        warm.cpu?.toFixed(2) ?? '',
        cold.wall.toFixed(2),
        cold.cpu?.toFixed(2) ?? '',
        ['model', 'trunk', 'load', 'forward', 'consume', 'outputs'].map((k) => timing[k]?.toFixed(2) ?? '?').join(' / '),
      ]);
    }
    const body = `120 concept images (224 px), resnet18 layer3 + layer4 in one run, batch 8, 2 threads.\n\n${table(
      [
        'run',
        'bare forward pass (s)',
        'its CPU (s)',
        'lucerna dissect in-process, report included (s)',
        'its CPU (s)',
        'ratio',
        'CPU ratio',
        'whole process `node bin/lucerna.js dissect`, warm cache (s)',
        'its CPU (s, all threads)',
        'whole process, empty cache (s)',
        'its CPU (s, all threads)',
        'in-process split: model / trunk session / decode / forward / thresholds+tallies / outputs+report (s)',
      ],
      rows,
    )}\n\nThe bare forward pass opens the model, decodes the 120 images and runs the same trunk on the same batches of 8, in this process; it and the in-process job open the trunk session from the section's compile cache (warmed by one untimed run). Warm cache: a later \`lucerna dissect\` of these layers, which opens ONNX Runtime's stored optimised graph; empty cache: the first one, which optimises and stores it. NetDissect-Lite: 11.2–11.6 s for this job (HTML off); the goal is ≤ 4.5 s for the whole process, and ≤ 1.5× the bare forward pass.`;
    return { title: 'Network Dissection', body };
  } finally {
    if (savedCacheDir === undefined) delete process.env.LUCERNA_CACHE_DIR;
    else process.env.LUCERNA_CACHE_DIR = savedCacheDir;
    await rm(dir, { recursive: true, force: true });
  }
}
