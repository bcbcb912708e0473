/**
 * How a RESULTS.md listing shows a command the results scripts ran: paths inside the script's work
 * folder are written relative to it, so a reader runs the listing as it stands from any empty folder
 * (the scripts' own temporary or `--work` paths mean nothing on another machine).
 */
import { join } from 'node:path';

/**
 * `command` with every path under `work` made relative to it (`work` itself becomes `.`).
 *
 * @example
 * ```ts
 * relativeToWork('lucerna train /tmp/w/init.onnx --out /tmp/w/m.onnx', '/tmp/w'); // 'lucerna train init.onnx --out m.onnx'
 * ```
 */
export function relativeToWork(command: string, work: string): string {
  const root = join(work).replace(/\/+$/, '');
  if (root === '' || root === '.') return command;
  const escaped = root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return command.replace(new RegExp(`${escaped}/`, 'g'), '').replace(new RegExp(`${escaped}(?=\\s|$)`, 'g'), '.');
}

/** The sentence that tells where a listing runs (after its commands are made relative by {@link relativeToWork}). */
export const RUN_FROM = 'paths are relative to the work folder: run them from an empty folder';
