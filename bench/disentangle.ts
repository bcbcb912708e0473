/**
 * Part-based commands benchmark (issues #15, #17, #18, #20): `lucerna graph build`, `tree build`,
 * `stability` and `bias` in-process on a generated parts set (64-px images, the bird class) with an
 * untrained ResNet-18 made by `lucerna model create`, against the bare forward pass of the same
 * images through the same model, batch 8, in the same run. The graph mines two conv layers; the
 * tree needs one gradient pass (the rationales) on top of the forward pass; stability and bias read
 * the whole set (every image with an object, and every image), so their forward share is larger.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJson } from '../src/cli/in-process.js';
import { Model } from '../src/engine/model.js';
import { nodeRuntime } from '../src/engine/node.js';
import { setDefaultRuntime } from '../src/engine/runtime.js';
import { loadImageTensor } from '../src/io/image.js';
import { concatBatch, type Tensor } from '../src/tensor/tensor.js';
import { type Section, table } from './report.js';
import type { SectionOptions } from './sections.js';
import { median } from './timing.js';

/** The two top ReLUs of `model create resnet18 --input 3x64x64` (layer3.1 and layer4.1 outputs). */
const LAYERS = ['Relu_61', 'Relu_83'];
const BATCH = 8;

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** Decodes the class's images and runs them through the model in batches of 8 (the commands' batch). */
async function bareForward(modelFile: string, images: readonly string[]): Promise<void> {
  await using model = await Model.load(new Uint8Array(await readFile(modelFile)), { runtime: nodeRuntime, threads: 2 });
  const tensors: Tensor[] = [];
  for (const image of images) tensors.push((await loadImageTensor(image, { size: [64, 64] })).tensor);
  for (let i = 0; i < tensors.length; i += BATCH) await model.run(concatBatch(tensors.slice(i, i + BATCH)));
}

/**
 * Issue #18's target: `tree build` of one class of 500 images in under a minute on 2 cores. A
 * 1,500-image parts set with 2 classes has exactly 500 birds (150 images, 50 birds, with
 * `--quick`); one run, on the section's untrained ResNet-18, wall and CPU (user + system) time.
 */
/** `tree build` on the bird class of a parts folder, on every image (no held-out split), as timed. */
function buildTree(modelFile: string, data: string, out: string): Promise<unknown> {
  return runJson(
    'tree',
    'build',
    modelFile,
    '--dataset',
    join(data, 'classes'),
    '--class',
    'bird',
    '--layer',
    LAYERS[1] as string,
    '--out',
    out,
    '--held-out',
    'none',
  );
}

async function treeAtScale(dir: string, modelFile: string, quick: boolean): Promise<{ images: number; set: number; wall: number; cpu: number }> {
  const data = join(dir, 'parts-tree');
  const set = quick ? 150 : 1500;
  await runJson('dataset', 'parts', '--out', data, '--n', String(set), '--seed', '2', '--size', '64', '--classes', '2');
  const images = (await readdir(join(data, 'classes', 'bird'))).length;
  const cpu0 = process.cpuUsage();
  const wall = await seconds(() => buildTree(modelFile, data, join(dir, 'tree-scale')));
  const cpu = process.cpuUsage(cpu0);
  return { images, set, wall, cpu: (cpu.user + cpu.system) / 1e6 };
}

/** Runs the section. */
export async function benchDisentangle(o: SectionOptions): Promise<Section> {
  setDefaultRuntime(nodeRuntime);
  const dir = await mkdtemp(join(tmpdir(), 'lucerna-bench-disentangle-'));
  try {
    const data = join(dir, 'parts');
    const modelFile = join(dir, 'resnet18.onnx');
    const n = o.quick ? 60 : 150;
    await runJson('dataset', 'parts', '--out', data, '--n', String(n), '--seed', '1', '--size', '64', '--classes', '2');
    await runJson('model', 'create', 'resnet18', '--classes', '3', '--input', '3x64x64', '--out', modelFile);
    const birds = (await readdir(join(data, 'classes', 'bird'))).map((f) => join(data, 'classes', 'bird', f));
    const reps = o.quick ? 1 : 3;
    const bare: number[] = [];
    const graph: number[] = [];
    const tree: number[] = [];
    const stability: number[] = [];
    const bias: number[] = [];
    await bareForward(modelFile, birds.slice(0, BATCH)); // loads ONNX Runtime once, outside the timings
    // Interleaved, so a changing machine load hits all three alike.
    for (let r = 0; r < reps; r++) {
      bare.push(await seconds(() => bareForward(modelFile, birds)));
      const g = join(dir, `graph${r}`);
      graph.push(await seconds(() => runJson('graph', 'build', modelFile, '--dataset', data, '--class', 'bird', '--layer', LAYERS.join(','), '--out', g)));
      const t = join(dir, `tree${r}`);
      tree.push(await seconds(() => buildTree(modelFile, data, t)));
      stability.push(
        await seconds(() => runJson('stability', modelFile, '--dataset', data, '--layer', LAYERS[1] as string, '--out', join(dir, `stability${r}`))),
      );
      const attributes = join(data, 'attributes.csv');
      bias.push(
        await seconds(() =>
          runJson('bias', modelFile, '--dataset', data, '--attributes', attributes, '--layer', LAYERS[1] as string, '--out', join(dir, `bias${r}`)),
        ),
      );
    }
    const scale = await treeAtScale(dir, modelFile, o.quick);
    const base = median(bare);
    const row = (name: string, v: number[]) => [name, median(v).toFixed(2), (median(v) / base).toFixed(2)];
    const body = `${birds.length} bird images of a ${n}-image parts set (64 px), untrained ResNet-18 (\`lucerna model create resnet18 --input 3x64x64\`), batch ${BATCH}, 2 threads; medians of ${reps} interleaved runs, each opening the model anew (session creation included).\n\n${table(
      ['job', 'wall time (s)', 'ratio to the bare forward pass'],
      [
        ['bare forward pass (decode + Model.run)', base.toFixed(2), '1.00'],
        row(`graph build, layers ${LAYERS.join(' + ')} (default patterns, 5 EM iterations)`, graph),
        row(`tree build, layer ${LAYERS[1]} (rationales: one gradient pass)`, tree),
        row(`stability, layer ${LAYERS[1]}, every image with an object (${n}-image set), report included`, stability),
        row(`bias, layer ${LAYERS[1]}, every image of the set, report included`, bias),
      ],
    )}\n\nIssue #18's speed target, building the tree of ${scale.images} bird images (goal for 500: under 60 s on 2 cores), one run of \`lucerna tree build <resnet18> --dataset <${scale.set.toLocaleString('en')}-image parts set>/classes --class bird --layer ${LAYERS[1]}\` in-process (session creation, decoding, the rationales' gradient pass and the merging included):\n\n${table(
      ['job', 'wall time (s)', 'CPU time, user + system (s)'],
      [[`tree build, ${scale.images} images, layer ${LAYERS[1]}`, scale.wall.toFixed(2), scale.cpu.toFixed(2)]],
    )}`;
    return { title: 'Part-based commands: explanatory graph, decision tree, stability, bias', body };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
