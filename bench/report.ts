/**
 * Writes BENCHMARKS.md from one benchmark run.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { CoreRow } from './core.js';
import { ms, ratio } from './timing.js';

/** A titled markdown section. */
export interface Section {
  readonly title: string;
  readonly body: string;
}

/** A markdown table from a header and rows. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** The core engine table. */
export function coreSection(rows: readonly CoreRow[]): Section {
  const body = table(
    [
      'model',
      'batch',
      'threads',
      'ORT forward (ms)',
      'fwd + input grad (ms)',
      'backward / forward',
      'fwd + last-block grad (ms)',
      'partial backward / forward',
    ],
    rows.map((r) => [
      r.model,
      String(r.batch),
      String(r.threads),
      ms(r.forwardMs),
      ms(r.inputGradMs),
      ratio((r.inputGradMs - r.forwardMs) / r.forwardMs),
      ms(r.layerGradMs),
      ratio((r.layerGradMs - r.forwardMs) / r.forwardMs),
    ]),
  );
  const notes = [
    '',
    '',
    '- "backward / forward" is (fwd+grad − fwd) / fwd: the cost of the backward half in units of one forward pass.',
    '- Reference from `../shared/notes/backward-graphs.md` (same machine type, PyTorch 1.13, 2 threads): PyTorch fwd+bwd took 31.4 ms (MobileNetV2, batch 1) and 225.2 ms (batch 8). The goal is ≤ 0.5× PyTorch.',
  ].join('\n');
  return { title: 'Core: forward and backward on ONNX Runtime', body: body + notes };
}

/**
 * Writes BENCHMARKS.md. Sections this run measured replace their namesakes in place (new ones are
 * appended); every other section, hand-written ones included, is kept, so a full run never drops
 * the by-hand measurements. A full run writes a fresh header; a partial one (`--only`) keeps the
 * old header and adds a note naming what it reran.
 */
export function writeReport(path: string, sections: readonly Section[], startedAt: Date, seconds: number, partial = false): void {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const date = startedAt.toISOString().slice(0, 10);
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : '';
  if (partial && existing) {
    const note = `Sections ${sections.map((s) => `"${s.title}"`).join(', ')} rerun with \`npm run bench -- --only\` on ${date} (${seconds.toFixed(0)} s); the others are from the full run above.`;
    writeFileSync(path, mergeSections(existing, sections, note, date));
    return;
  }
  const header = [
    '# Benchmarks',
    '',
    `Measured by \`npm run bench\` on ${date}: ${cpus().length} cores (${cpu}), Node ${process.version}, onnxruntime-node. Medians of repeated runs after warm-up; every ratio compares numbers measured in the same run. Total time ${seconds.toFixed(0)} s.`,
    '',
    'Models: torchvision MobileNetV2 and ResNet-18 with random weights from `../shared/models` (224×224 input).',
    '',
  ].join('\n');
  writeFileSync(path, `${header}\n${mergedSections(existing, sections, date).join('\n')}`);
}

/** The paragraphs of a section that start with `**Reading`: the by-hand readings of a run. */
function readingsOf(section: string): string[] {
  return section.split(/\n{2,}/).filter((p) => p.startsWith('**Reading'));
}

/**
 * A rerun section's markdown: the new body, then the old section's by-hand readings, kept under a
 * line saying that their figures describe an earlier run (the bench cannot rewrite them).
 */
function rerunSection(section: Section, old: string | undefined, date: string): string {
  const kept = old === undefined ? [] : readingsOf(old).map((p) => p.trimEnd());
  const carried =
    kept.length === 0
      ? ''
      : `\n*Readings kept from before the bench's rerun of ${date}: their figures describe earlier runs, not the tables above.*\n\n${kept.join('\n\n')}\n`;
  return `## ${section.title}\n\n${section.body}\n${carried}`;
}

/** The `## ` sections of a BENCHMARKS.md text, and the text before the first one. */
function splitSections(text: string): { head: string; parts: { title: string; text: string }[] } {
  const parts = text.split(/^(?=## )/m);
  const head = text.startsWith('## ') ? '' : (parts.shift() ?? '');
  const titled = parts.map((p) => ({ title: p.slice(3, p.indexOf('\n') < 0 ? undefined : p.indexOf('\n')).trim(), text: p }));
  return { head: head.trimEnd(), parts: titled };
}

/** Every section of `existing`, those measured in this run replaced in place, then the new ones. */
function mergedSections(existing: string, sections: readonly Section[], date: string): string[] {
  const fresh = new Map(sections.map((s) => [s.title, s]));
  const kept = splitSections(existing).parts.map((p) => {
    const section = fresh.get(p.title);
    fresh.delete(p.title);
    return section === undefined ? `${p.text.trimEnd()}\n` : rerunSection(section, p.text, date);
  });
  return [...kept, ...[...fresh.values()].map((s) => rerunSection(s, undefined, date))];
}

/**
 * An existing BENCHMARKS.md with the given sections replaced in place (matched by their `## title`
 * line) and new ones appended; every other section, hand-written ones included, is kept, and so
 * are a rerun section's `**Reading` paragraphs (under a line dating them before the rerun). `note`
 * is added to the header, below the earlier partial-rerun notes that still describe a section
 * (a note naming only sections rerun now is dropped).
 *
 * @example
 * ```ts
 * mergeSections('# B\n\nhead\n\n## A\n\nold\n', [{ title: 'A', body: 'new' }], 'rerun'); // '# B\n\nhead\n\nrerun\n\n## A\n\nnew\n'
 * ```
 */
export function mergeSections(existing: string, sections: readonly Section[], note: string, date = new Date().toISOString().slice(0, 10)): string {
  const head = withoutObsoleteNotes(splitSections(existing).head, new Set(sections.map((x) => x.title)));
  return [`${head}\n\n${note}\n`, ...mergedSections(existing, sections, date)].join('\n');
}

/**
 * The header without the earlier partial-rerun notes ("Sections "A", "B" rerun with …") that name
 * only sections rerun now: those sections no longer hold what the notes describe.
 */
function withoutObsoleteNotes(head: string, rerun: ReadonlySet<string>): string {
  const obsolete = (paragraph: string) => {
    const named = /^Sections (.*?) rerun with /.exec(paragraph)?.[1];
    const titles = named === undefined ? [] : [...named.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string);
    return titles.length > 0 && titles.every((t) => rerun.has(t));
  };
  return head
    .split(/\n{2,}/)
    .filter((p) => !obsolete(p))
    .join('\n\n');
}
