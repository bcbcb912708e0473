/**
 * One section of RESULTS.md rebuilt alone: the section starting at `heading` is replaced in place
 * (up to the next `## ` heading), or appended when the file does not have it yet.
 */
import { readFile, writeFile } from 'node:fs/promises';

/** `document` with the section under `heading` replaced by `section` (appended when absent). */
export function replaceSection(document: string, heading: string, section: string): string {
  const start = document.indexOf(heading);
  if (start < 0) return `${document.trimEnd()}\n\n${section}`;
  const next = document.indexOf('\n## ', start + heading.length);
  return `${document.slice(0, start)}${section.trimEnd()}\n${next < 0 ? '' : `\n${document.slice(next + 1)}`}`;
}

/** Rewrites `file` (default RESULTS.md) with its section under `heading` replaced by `section`. */
export async function writeSection(heading: string, section: string, file = 'RESULTS.md'): Promise<void> {
  const old = await readFile(file, 'utf8').catch(() => '# Results\n\nRebuilt by `npm run results`.\n');
  await writeFile(file, replaceSection(old, heading, section));
}
