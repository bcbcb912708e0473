/**
 * Rebuilds only the interpretable-CNN section of RESULTS.md (`scripts/results/icnn.ts`; `npm run
 * results` rebuilds every section with the defaults). Replaces the section that starts with
 * `## Interpretable CNNs` in place, or appends it, leaving the other sections as they are.
 *
 * Run: `node --import tsx scripts/results-icnn.ts [--n 1500] [--size 128] [--pretrain 12] [--epochs 6] [--arch vgg11-bn]
 * [--width 0.125] [--layer Relu_33] [--weight 1] [--tau 0.01] [--form exact|approx] [--lr 0.003] [--finetune-lr 0.0003]
 * [--weight-decay 0.05] [--batch 32] [--mask-centre centroid] [--beta-mode adaptive] [--filter-assign step]
 * [--filter-loss-schedule epoch] [--rows bird,fish,multi] [--seeds 0,1] [--out RESULTS.md]`. An architecture other than
 * vgg11-bn gets its own section (and figure): the resnet18 one is `--arch resnet18 --size 224 --layer Relu_83`
 * (`ICNN_RESNET18`, also in `npm run results`). The section is written after each seed, so a long run
 * that is stopped leaves the seeds it finished (the section's rebuild command names them).
 */
import { icnnSection } from './results/icnn.js';
import { icnnHeading } from './results/icnn-markdown.js';
import { ICNN_DEFAULTS, type IcnnSettings } from './results/icnn-settings.js';
import { writeSection } from './results/section-file.js';
import { type ScriptOptions, scriptArgs, scriptUsage } from './script-args.js';

const SCRIPT = 'scripts/results-icnn.ts';
/** `weightDecay` → `weight-decay`. */
const flag = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const options: ScriptOptions = {
  ...Object.fromEntries(Object.entries(ICNN_DEFAULTS).map(([k, v]) => [flag(k), { type: 'string' as const, default: String(v) }])),
  out: { type: 'string', default: 'RESULTS.md' },
};

/** Ends the process with a one-line message and the usage line. */
function fail(message: string): never {
  process.stderr.write(`error: ${message}\n${scriptUsage(SCRIPT, options)}\n`);
  process.exit(2);
}

/** The settings from the command line: each flag given replaces its default; numbers must be finite. */
function settingsFrom(values: Record<string, string | undefined>): IcnnSettings {
  const entries = Object.entries(ICNN_DEFAULTS).map(([k, v]) => {
    const given = values[flag(k)];
    if (given === undefined || typeof v !== 'number') return [k, given ?? v];
    const n = Number(given);
    if (given.trim() === '' || !Number.isFinite(n)) fail(`--${flag(k)} takes a number, got "${given}"`);
    return [k, n];
  });
  return Object.fromEntries(entries) as unknown as IcnnSettings;
}

const parsed = scriptArgs(SCRIPT, options);
const settings = settingsFrom(parsed.values);
const out = parsed.values.out as string;
const section = await icnnSection(settings, (partial) => writeSection(icnnHeading(settings), partial, out));
await writeSection(icnnHeading(settings), section, out);
process.stdout.write(section);
