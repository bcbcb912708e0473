/**
 * Whole-process benchmark (issue #19): what a user waits for when a command runs as a fresh
 * process. Start-up rows (`--version`, `--help`) against bare `node -e 0`; then each gradient
 * method on resnet18 (random weights, ../shared/models) with a batch of 8 images (one .npy),
 * through the built binary (`node bin/lucerna.js`, dist bundle) with a cold and a warm compile
 * cache, through `npx lucerna` with a warm cache, and against the same work in one Python process
 * with plain PyTorch (bench/python/gradients.py: Captum's computations, written out, on a
 * hand-written resnet18), timed in the same run. Python rows need /usr/bin/python3 with torch;
 * without it they are left out with a note.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serializeNpy } from '../src/io/npy.js';
import { BENCH_MODELS, randomInput } from './models.js';
import { ensureBuild, medianProcess, type ProcessTime, repoRoot, timeProcess } from './process/run.js';
import { type Section, table } from './report.js';
import type { SectionOptions } from './sections.js';

const PYTHON = '/usr/bin/python3';

/**
 * The gradient methods of issue #19's table, with the CLI flags and the Python script's name.
 * `captum` names a second reference: the same method as Captum computes it at its defaults, where
 * that differs from plain batches of 8 rows (IG: `internal_batch_size=None`, every step of every
 * image in one forward and one backward). Its row reuses the Lucerna timings.
 */
const METHODS: readonly { label: string; cli: string[]; python: string; captum?: string; goal: number }[] = [
  { label: 'saliency', cli: ['--method', 'saliency'], python: 'saliency', goal: 0.5 },
  { label: 'Grad-CAM', cli: ['--method', 'grad-cam'], python: 'grad-cam', goal: 0.5 },
  { label: 'guided Grad-CAM', cli: ['--method', 'guided-grad-cam'], python: 'guided-grad-cam', goal: 0.5 },
  { label: 'Integrated Gradients, 32 steps', cli: ['--method', 'integrated-gradients', '--steps', '32'], python: 'ig', captum: 'ig-captum', goal: 0.5 },
  { label: 'SmoothGrad, 8 samples', cli: ['--method', 'smoothgrad', '--samples', '8'], python: 'smoothgrad', goal: 0.8 },
];

function hasTorch(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const s = (t: ProcessTime | undefined) => (t ? t.wall.toFixed(2) : '');
const cpu = (t: ProcessTime | undefined) => (t?.cpu === undefined ? '' : t.cpu.toFixed(2));
const ratio = (a: ProcessTime | undefined, b: ProcessTime | undefined) => (a && b ? `${(a.wall / b.wall).toFixed(2)}×` : '');

export async function benchStartup(o: SectionOptions): Promise<Section> {
  await ensureBuild();
  const reps = o.quick ? 1 : 3;
  const dir = mkdtempSync(join(tmpdir(), 'lucerna-bench-startup-'));
  try {
    const node = (args: string[], env: NodeJS.ProcessEnv = {}) => timeProcess(process.execPath, args, { cwd: repoRoot, env });
    const bin = (args: string[], env: NodeJS.ProcessEnv = {}) => node(['bin/lucerna.js', ...args], { LUCERNA_FROM_DIST: '1', ...env });
    const npx = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      timeProcess('npx', ['--no-install', 'lucerna', ...args], { cwd: repoRoot, env: { LUCERNA_FROM_DIST: '1', ...env } });

    const startReps = o.quick ? 3 : 7;
    const bare = await medianProcess(startReps, () => node(['-e', '0']));
    const starts: [string, ProcessTime][] = [['`node -e 0` (bare Node)', bare]];
    for (const args of [['--version'], ['--help'], ['attribute', '--help'], ['dissect', '--help'], ['explain', '--help']])
      starts.push([`\`lucerna ${args.join(' ')}\``, await medianProcess(startReps, () => bin(args))]);
    starts.push(['`npx lucerna --version`', await medianProcess(startReps, () => npx(['--version']))]);
    const startTable = table(
      ['command', 'wall (s)', 'CPU (s)', 'minus bare Node (s)'],
      starts.map(([what, t]) => [what, s(t), cpu(t), (t.wall - bare.wall).toFixed(3)]),
    );

    const resnet = BENCH_MODELS.find((m) => m.name === 'resnet18');
    if (!resnet) throw new Error('resnet18 bench model missing');
    const input = join(dir, 'images8.npy');
    writeFileSync(input, serializeNpy(randomInput([8, 3, 224, 224], 7)));
    const torch = hasTorch();
    const warmCache = join(dir, 'warm-cache');
    const rows: string[][] = [];
    for (const m of METHODS) {
      const args = (out: string) => ['attribute', resnet.file, ...m.cli, '--input', input, '--out', join(dir, out)];
      let fresh = 0;
      const cold = await medianProcess(reps, () => bin(args('cold.npy'), { LUCERNA_CACHE_DIR: join(dir, `cold-${m.python}-${fresh++}`) }));
      await bin(args('prime.npy'), { LUCERNA_CACHE_DIR: warmCache });
      const warm = await medianProcess(reps, () => bin(args('warm.npy'), { LUCERNA_CACHE_DIR: warmCache }));
      const viaNpx = await medianProcess(reps, () => npx(args('npx.npy'), { LUCERNA_CACHE_DIR: warmCache }));
      const script = resolve(repoRoot, 'bench/python/gradients.py');
      const references: [string, string][] = [[m.label, m.python]];
      if (m.captum) references.push([`${m.label}, against Captum's default batching (all rows in one pass)`, m.captum]);
      for (const [label, python] of references) {
        const py = torch
          ? await medianProcess(reps, () =>
              timeProcess(PYTHON, [script, python, input, join(dir, 'py.npy'), '--steps', '32', '--samples', '8', '--batch', '8']),
            )
          : undefined;
        const cpuRatio = warm?.cpu !== undefined && py?.cpu ? `${(warm.cpu / py.cpu).toFixed(2)}×` : '';
        rows.push([
          label,
          s(cold),
          cpu(cold),
          s(warm),
          cpu(warm),
          s(viaNpx),
          s(py),
          cpu(py),
          ratio(warm, py),
          cpuRatio,
          ratio(cold, py),
          py ? `≤ ${m.goal}×` : '',
        ]);
      }
    }
    const methodTable = table(
      [
        'method (resnet18, 8 images)',
        'cold cache (s)',
        'CPU (s)',
        'warm cache (s)',
        'CPU (s)',
        'npx, warm (s)',
        'PyTorch process (s)',
        'CPU (s)',
        'warm / PyTorch',
        'CPU warm / PyTorch',
        'cold / PyTorch',
        'goal',
      ],
      rows,
    );
    const note = torch
      ? 'PyTorch: `/usr/bin/python3 bench/python/gradients.py <method>` (PyTorch 1.13, 2 threads, batches of 8 rows like Lucerna; the process imports torch, builds the network, loads the .npy, computes and saves the map, as a Captum script would). Captum’s IntegratedGradients batches differently at its defaults (`internal_batch_size=None`: all 32 × 8 = 256 rows in one forward and one backward pass, Gauss-Legendre steps); its row runs `gradients.py ig-captum`, which reproduces that computation in plain torch (Captum-default batching, reimplemented because Captum cannot be installed here; read from captum/attr/_core/integrated_gradients.py and captum/_utils/gradient.py).'
      : `PyTorch rows left out: ${PYTHON} has no torch here.`;
    const body = [
      `Each row a fresh process, median of ${startReps} (start-up) or ${reps} (methods) runs; wall time and, for Node, the CPU time of all its threads. The binary runs the built CLI (\`dist/bundle\`); \`npx\` adds its own start.`,
      '',
      startTable,
      '',
      `Cold: an empty compile cache (\`LUCERNA_CACHE_DIR\`), so the gradient graph is compiled and stored; warm: the same plan stored by an earlier run. ${note}`,
      '',
      methodTable,
      '',
      'Goals (issue #19): `lucerna --version` ≤ 150 ms, any command ≤ 250 ms before its work (the `--help` rows), and at most 0.5× PyTorch’s whole-process time (0.8× for SmoothGrad).',
    ].join('\n');
    return { title: 'Whole process: start-up and gradient methods as fresh processes', body };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
