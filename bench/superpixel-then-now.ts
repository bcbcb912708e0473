/**
 * "Then and now" rows of the superpixel bench (issue #12 defect 12): the whole `lime` and
 * `kernel-shap` call at the library's defaults, as the code was when issue #12 was filed (commit
 * 550bd20, the last commit before the session that started work on it) and as it is now, on the
 * same ONNX file (the bundled model; byte-identical to what 550bd20 converted from nsfwjs), the
 * same image and the same machine. The old tree's `src/` is extracted with `git archive` into a
 * temporary folder beside a link to today's `node_modules` (550bd20's dependencies are a subset of
 * today's, at the same pinned versions) and both run the same child script in fresh processes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuild, repoRoot, timeProcess } from './process/run.js';
import { median } from './timing.js';

/** The commit at which issue #12 was filed. */
export const ISSUE12_FILED_AT = '550bd20';

/** Wall and CPU seconds of one call. */
export interface CallTime {
  readonly wall: number;
  readonly cpu: number;
}

/** The first call of a fresh process (ONNX Runtime's session set-up included), and the median of the later ones. */
export interface CallTimes {
  readonly first: CallTime;
  readonly later?: CallTime;
}

/** One method's default call in each tree. */
export interface ThenNow {
  readonly method: 'lime' | 'kernel-shap';
  readonly filed: CallTimes;
  readonly current: CallTimes;
  /** `lucerna attribute MODEL --input IMAGE --method M --out x.npy` as a whole process, twice on one cache folder. */
  readonly cli: { readonly filed: CallTimes; readonly current: CallTimes };
}

/**
 * Two whole CLI processes of the tree's build, run as an installed package runs it (`bin/lucerna.js`
 * with `LUCERNA_FROM_DIST=1`: 550bd20's bin then loads its tsc-compiled `dist/`, today's its
 * bundled CLI), on one fresh cache folder: the first run and the second (a warm compile cache).
 */
async function cliTimes(root: string, method: string, model: string, image: string): Promise<CallTimes> {
  const cache = mkdtempSync(join(tmpdir(), 'lucerna-then-cache-'));
  try {
    const env = { LUCERNA_CACHE_DIR: cache, LUCERNA_THREADS: '', LUCERNA_FROM_DIST: '1' };
    const run = () =>
      timeProcess(process.execPath, [join(root, 'bin/lucerna.js'), 'attribute', model, '--input', image, '--method', method, '--out', join(cache, 'map.npy')], {
        cwd: root,
        env,
      });
    const first = await run();
    const second = await run();
    return { first: { wall: first.wall, cpu: first.cpu ?? Number.NaN }, later: { wall: second.wall, cpu: second.cpu ?? Number.NaN } };
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

function callTimes(root: string, method: string, model: string, image: string, calls: number): CallTimes {
  const env = { ...process.env };
  // Each tree's own thread default: a user's LUCERNA_THREADS would change only today's tree.
  delete env.LUCERNA_THREADS;
  const out = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'bench/process/superpixel-call.ts'),
      '--root',
      root,
      '--method',
      method,
      '--model',
      model,
      '--image',
      image,
      '--calls',
      String(calls),
    ],
    { cwd: repoRoot, env, encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  const r = JSON.parse(out.trim().split('\n').at(-1) as string) as { wall: number[]; cpu: number[] };
  const first = { wall: r.wall[0] as number, cpu: r.cpu[0] as number };
  return calls > 1 ? { first, later: { wall: median(r.wall.slice(1)), cpu: median(r.cpu.slice(1)) } } : { first };
}

/**
 * Times both methods' default calls in the old and the current tree (`calls` calls in one fresh process
 * per tree: the first, and the median of the others), or returns the reason it cannot (no git history of that commit, e.g. a shallow clone).
 *
 * @example
 * ```ts
 * const rows = await thenAndNow(modelFile, imageFile, 3);
 * ```
 */
export async function thenAndNow(model: string, image: string, calls: number): Promise<ThenNow[] | string> {
  const dir = mkdtempSync(join(tmpdir(), 'lucerna-then-'));
  try {
    try {
      const archive = execFileSync('git', ['-C', repoRoot, 'archive', ISSUE12_FILED_AT, 'src', 'bin', 'package.json', 'tsconfig.json', 'tsconfig.build.json'], {
        maxBuffer: 1 << 28,
      });
      execFileSync('tar', ['-x', '-C', dir], { input: archive });
    } catch {
      return `commit ${ISSUE12_FILED_AT} is not in this clone's history`;
    }
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
    // Each tree's build, as its installed package would run it: the old tree's tsc build, today's `npm run build`.
    execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.build.json')], { cwd: dir });
    await ensureBuild();
    const rows: ThenNow[] = [];
    for (const method of ['lime', 'kernel-shap'] as const) {
      rows.push({
        method,
        filed: callTimes(dir, method, model, image, calls),
        current: callTimes(repoRoot, method, model, image, calls),
        cli: { filed: await cliTimes(dir, method, model, image), current: await cliTimes(repoRoot, method, model, image) },
      });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
