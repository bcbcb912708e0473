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

/** Writes the whole file. */
export function writeReport(path: string, sections: readonly Section[], startedAt: Date, seconds: number, partial = false): void {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const date = startedAt.toISOString().slice(0, 10);
  if (partial && existsSync(path)) {
    const note = `Sections ${sections.map((s) => `"${s.title}"`).join(', ')} rerun with \`npm run bench -- --only\` on ${date} (${seconds.toFixed(0)} s); the others are from the full run above.`;
    writeFileSync(path, mergeSections(readFileSync(path, 'utf8'), sections, note));
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
  const text = header + sections.map((s) => `## ${s.title}\n\n${s.body}\n`).join('\n');
  writeFileSync(path, text);
}

/**
 * An existing BENCHMARKS.md with the given sections replaced in place (matched by their `## title`
 * line) and new ones appended; every other section, hand-written ones included, is kept. `note`
 * is added to the header, below any earlier partial-rerun notes (they still say which sections
 * they measured).
 *
 * @example
 * ```ts
 * mergeSections('# B\n\nhead\n\n## A\n\nold\n', [{ title: 'A', body: 'new' }], 'rerun'); // '# B\n\nhead\n\nrerun\n\n## A\n\nnew\n'
 * ```
 */
export function mergeSections(existing: string, sections: readonly Section[], note: string): string {
  const parts = existing.split(/^(?=## )/m);
  const head = (parts.shift() ?? '').trimEnd();
  const byTitle = new Map(sections.map((s) => [s.title, `## ${s.title}\n\n${s.body}\n`]));
  const kept = parts.map((p) => {
    const title = p.slice(3, p.indexOf('\n') < 0 ? undefined : p.indexOf('\n')).trim();
    const replacement = byTitle.get(title);
    byTitle.delete(title);
    return replacement === undefined ? p.trimEnd() + '\n' : replacement;
  });
  return [`${head}\n\n${note}\n`, ...kept, ...byTitle.values()].join('\n');
}
