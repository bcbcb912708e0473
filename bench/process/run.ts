/**
 * Whole-process timing for the benchmark: runs a command as a fresh process and returns its wall
 * time and its CPU time (all threads): for Node children through a preload that writes
 * `process.cpuUsage()` at exit (summed over the Node processes it starts); other programs may print `cpu_seconds=<x>` as their last output.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What one run took. */
export interface ProcessTime {
  /** Wall seconds, spawn to exit. */
  readonly wall: number;
  /** CPU seconds of the child (a Node child, or one that printed `cpu_seconds=`). */
  readonly cpu?: number;
  readonly stdout: string;
}

const PRELOAD = pathToFileURL(resolve(import.meta.dirname, 'cpu-preload.mjs')).href;

/**
 * Runs `command args` in `cwd`; a non-zero exit rejects with its stderr. When `command` is
 * `process.execPath`, the child also reports its CPU time.
 *
 * @example
 * ```ts
 * const t = await timeProcess(process.execPath, ['bin/lucerna.js', '--version']);
 * ```
 */
export async function timeProcess(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ProcessTime> {
  const dir = mkdtempSync(join(tmpdir(), 'lucerna-bench-cpu-'));
  const cpuFile = join(dir, 'cpu');
  const node = command === process.execPath;
  const env = { ...process.env, ...options.env, ...(node ? { LUCERNA_BENCH_CPU_FILE: cpuFile } : {}) };
  const argv = node ? ['--import', PRELOAD, ...args] : [...args];
  try {
    const t0 = performance.now();
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
      const child = spawn(command, argv, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        err += d;
      });
      child.on('error', fail);
      child.on('close', (c) => done({ code: c, stdout: out, stderr: err }));
    });
    const wall = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const reported = /cpu_seconds=([0-9.]+)\s*$/.exec(stdout)?.[1];
    // Every Node process of the run appends its own CPU time (the CLI may run its work in a child).
    const nodeCpu = () =>
      readFileSync(cpuFile, 'utf8')
        .trim()
        .split('\n')
        .reduce((sum, line) => sum + Number(line), 0);
    const cpu = node ? nodeCpu() : reported === undefined ? undefined : Number(reported);
    return { wall, cpu, stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The median of `reps` runs by wall time (and the CPU of that run). @example `await medianProcess(3, () => timeProcess(...))` */
export async function medianProcess(reps: number, run: () => Promise<ProcessTime>): Promise<ProcessTime> {
  const runs: ProcessTime[] = [];
  for (let i = 0; i < reps; i++) runs.push(await run());
  runs.sort((a, b) => a.wall - b.wall);
  return runs[Math.floor(runs.length / 2)] as ProcessTime;
}

/** The repository root. */
export const repoRoot = resolve(import.meta.dirname, '../..');

/**
 * Builds `dist` and its bundle (`npm run build`) when `dist` is older than `src` (what
 * `bin/lucerna.js` checks), so whole-process rows time the built, bundled CLI rather than tsx.
 *
 * @example `await ensureBuild();`
 */
export async function ensureBuild(): Promise<void> {
  const probe = await timeProcess(process.execPath, ['-e', FRESH_CHECK], { cwd: repoRoot });
  if (probe.stdout.trim() === 'fresh') return;
  await timeProcess(process.execPath, [resolve(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: repoRoot });
  await timeProcess(process.execPath, [resolve(repoRoot, 'scripts/bundle-cli.mjs')], { cwd: repoRoot });
}

// Same rule as bin/lucerna.js: dist/cli/main.js newer than every non-test .ts under src/.
const FRESH_CHECK = `
const fs = require('node:fs'), path = require('node:path');
const newest = (d) => fs.readdirSync(d, { withFileTypes: true }).reduce((m, e) => {
  const p = path.join(d, e.name);
  const t = e.isDirectory() ? newest(p) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? fs.statSync(p).mtimeMs : 0;
  return Math.max(m, t);
}, 0);
let built = 0; try { built = fs.statSync('dist/cli/main.js').mtimeMs; } catch {}
console.log(built > newest('src') ? 'fresh' : 'stale');`;
