/**
 * Writes BENCHMARKS.md from one benchmark run.
 */
import { writeFileSync } from 'node:fs';
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
export function writeReport(path: string, sections: readonly Section[], startedAt: Date, seconds: number): void {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const header = [
    '# Benchmarks',
    '',
    `Measured by \`npm run bench\` on ${startedAt.toISOString().slice(0, 10)}: ${cpus().length} cores (${cpu}), Node ${process.version}, onnxruntime-node. Medians of repeated runs after warm-up; every ratio compares numbers measured in the same run. Total time ${seconds.toFixed(0)} s.`,
    '',
    'Models: torchvision MobileNetV2 and ResNet-18 with random weights from `../shared/models` (224×224 input).',
    '',
  ].join('\n');
  const text = header + sections.map((s) => `## ${s.title}\n\n${s.body}\n`).join('\n');
  writeFileSync(path, text);
}
