/**
 * The results scripts' work folder (`scripts/results/work-folder.ts`): a rerun reuses a step whose
 * command is unchanged and whose outputs exist; a folder of someone else's files, or an output made
 * by another command, is refused with one line, and nothing is ever deleted; `scripts/results/bias.ts`
 * runs its steps through it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { biasSection, biasSteps } from '../../scripts/results/bias.js';
import { openWorkFolder } from '../../scripts/results/work-folder.js';
import { tsImport } from '../helpers/ts-import.js';

const root = mkdtempSync(join(tmpdir(), 'lucerna-work-folder-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('results work folder', () => {
  it('runs a step once, then reuses it while its command and outputs are unchanged', async () => {
    const path = join(root, 'work');
    const out = join(path, 'data.txt');
    let runs = 0;
    const make = async () => {
      runs++;
      writeFileSync(out, 'made');
      return { images: 3 };
    };
    const first = await openWorkFolder(path);
    assert.deepEqual(await first.step('data', ['gen', '--n', '3'], [out], make), { images: 3 });
    const again = await openWorkFolder(path);
    assert.deepEqual(await again.step('data', ['gen', '--n', '3'], [out], make), { images: 3 });
    assert.equal(runs, 1);
    assert.deepEqual(again.reused, ['data']);
    await assert.rejects(again.step('data', ['gen', '--n', '4'], [out], make), /data\.txt exists but was made by another command.*nothing is deleted/);
    assert.equal(readFileSync(out, 'utf8'), 'made');
    rmSync(out);
    assert.deepEqual(await again.step('data', ['gen', '--n', '4'], [out], make), { images: 3 }, 'a missing output is made again');
    assert.equal(runs, 2);
  });

  it('refuses a folder holding files it did not write, and keeps them', async () => {
    const path = join(root, 'theirs');
    mkdirSync(path);
    writeFileSync(join(path, 'thesis.tex'), 'precious');
    await assert.rejects(openWorkFolder(path), /holds files this script did not write.*nothing is deleted/);
    assert.equal(readFileSync(join(path, 'thesis.tex'), 'utf8'), 'precious');
    assert.equal(existsSync(join(path, 'steps.json')), false);
  });
});

describe('bias results script in its work folder', () => {
  it('refuses a folder of foreign files and writes nothing there', async () => {
    const path = join(root, 'bias-theirs');
    mkdirSync(path);
    writeFileSync(join(path, 'notes.txt'), 'mine');
    await assert.rejects(biasSection(path), /holds files this script did not write.*nothing is deleted/);
    assert.deepEqual(readdirSync(path), ['notes.txt']);
    // The script says so in one line and exits 1.
    const run = spawnSync(process.execPath, ['--import', tsImport, 'scripts/results-bias.ts', '--work', path], {
      encoding: 'utf8',
      cwd: new URL('../..', import.meta.url),
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^error: .*holds files this script did not write.*nothing is deleted\)\n$/);
    assert.deepEqual(readdirSync(path), ['notes.txt']);
  });

  it('reuses its recorded steps and refuses, without deleting it, an output it did not record', async () => {
    const path = join(root, 'bias-ours');
    const steps = biasSteps(path);
    const bias = steps.find((s) => s.name === 'clean/bias');
    assert.ok(bias);
    // Every step before `clean/bias` is recorded with its command and has its output.
    const recorded = steps.slice(0, steps.indexOf(bias));
    mkdirSync(join(path, 'clean'), { recursive: true });
    for (const s of recorded) writeFileSync(s.output, 'made');
    const manifest = { format: 'lucerna-results-work', steps: Object.fromEntries(recorded.map((s) => [s.name, { command: s.args, summary: {} }])) };
    writeFileSync(join(path, 'steps.json'), JSON.stringify(manifest));
    // A folder the user put where the bias run would write: the old script removed it.
    mkdirSync(bias.output);
    writeFileSync(join(bias.output, 'findings.md'), 'precious');
    await assert.rejects(biasSection(path), /clean[/\\]bias exists but is not recorded for step "clean\/bias".*nothing is deleted/);
    assert.equal(readFileSync(join(bias.output, 'findings.md'), 'utf8'), 'precious');
    for (const s of recorded) assert.equal(readFileSync(s.output, 'utf8'), 'made', `${s.name} reused, not rerun`);
  });
});
