/**
 * Parity with PyTorch 1.13 (../shared/oracle-train): two models × six runs, each called through the
 * CLI exactly as the training issue's synopsis; every initializer of the written checkpoint must
 * match PyTorch's within 1e-4 of that tensor's largest absolute value.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/main.js';
import { parseNpy } from '../../src/io/npy.js';
import { graphFromBytes } from '../../src/onnx/builder.js';
import { readFloats } from '../../src/onnx/tensors.js';

const ORACLE = join(import.meta.dirname, '../../../shared/oracle-train');

interface Run {
  readonly optimizer: string;
  readonly lr: number;
  readonly bn: string;
  readonly epochs: number | null;
  readonly steps: number;
  readonly momentum?: number;
  readonly nesterov?: boolean;
  readonly weight_decay?: number;
  readonly initializers_saved: number;
}
const manifest = JSON.parse(readFileSync(join(ORACLE, 'cases.json'), 'utf8')) as { batch_size: number; cases: Record<string, { runs: Record<string, Run> }> };

/** The CLI arguments of one oracle run, as the README describes it. */
function argsOf(caseName: string, run: Run, out: string): string[] {
  const dir = join(ORACLE, caseName);
  const args = ['train', join(dir, 'model.onnx'), '--inputs', join(dir, 'x.npy'), '--labels', join(dir, 'y.npy')];
  args.push('--batch-size', String(manifest.batch_size), '--no-shuffle', '--optimizer', run.optimizer, '--lr', String(run.lr), '--bn', run.bn);
  if (run.epochs === null) args.push('--steps', String(run.steps));
  else args.push('--epochs', String(run.epochs));
  if (run.momentum) args.push('--momentum', String(run.momentum));
  if (run.nesterov) args.push('--nesterov');
  if (run.weight_decay) args.push('--weight-decay', String(run.weight_decay));
  return [...args, '--out', out];
}

const npyFloats = (path: string) => parseNpy(new Uint8Array(readFileSync(path)), path).data as Float32Array;

const work = await mkdtemp(join(tmpdir(), 'lucerna-oracle-train-'));
after(() => rm(work, { recursive: true, force: true }));

for (const [caseName, c] of Object.entries(manifest.cases)) {
  describe(`PyTorch parity: ${caseName}`, () => {
    for (const [runName, run] of Object.entries(c.runs)) {
      it(runName, async () => {
        const out = join(work, `${caseName}-${runName}.onnx`);
        assert.equal(await main(['node', 'lucerna', ...argsOf(caseName, run, out)]), 0);
        const trained = graphFromBytes(new Uint8Array(readFileSync(out)));
        const refDir = join(ORACLE, caseName, 'ref', runName);
        const refs = (await readdir(refDir)).filter((f) => f.endsWith('.npy'));
        assert.equal(refs.length, run.initializers_saved);
        for (const file of refs) {
          const name = file.slice(0, -4);
          const ref = npyFloats(join(refDir, file));
          const got = readFloats(trained.initializer(name));
          assert.equal(got.length, ref.length, name);
          let scale = 0;
          let worst = 0;
          for (let i = 0; i < ref.length; i++) {
            scale = Math.max(scale, Math.abs(ref[i] as number));
            worst = Math.max(worst, Math.abs((ref[i] as number) - (got[i] as number)));
          }
          assert.ok(worst <= 1e-4 * scale, `${name}: max |diff| ${worst.toExponential(2)} > 1e-4 × ${scale.toExponential(2)}`);
        }
      });
    }
  });
}
