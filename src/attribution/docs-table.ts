/**
 * The methods table of `docs/methods.md`, generated from the registry (`npm run docs:methods`
 * writes it; a test fails when the file is stale): one row per method with what it needs, how its
 * map is drawn, and every option with its default.
 */
import { methodList } from './methods.js';
import { formatDefault } from './options.js';
import type { AttributionMethod, MapDisplay } from './types.js';

const SIGN_TEXT: Record<MapDisplay['sign'], string> = {
  all: 'signed, diverging colour map',
  positive: 'positive part, sequential colour map',
  absolute: 'magnitude |·|, sequential colour map',
};

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function needsText(m: AttributionMethod): string {
  const needs = [m.needs.gradients ? 'gradients' : 'forward passes only', m.needs.layer ? 'a layer' : '', m.needs.baseline ? 'a baseline' : ''];
  return needs.filter((n) => n !== '').join(', ');
}

function displayText(d: MapDisplay, output: AttributionMethod['output']): string {
  const parts = [SIGN_TEXT[d.sign], d.reduction === 'none' ? (output === 'layer-map' ? 'one-channel layer map' : 'one channel') : `channels: ${d.reduction}`];
  if (d.floor === 'percentile') parts.push('floor at the 1st percentile');
  if (d.shareAcrossTargets === false) parts.push('one range per target');
  return parts.join('; ');
}

function optionsText(m: AttributionMethod): string {
  if (m.options.length === 0) return '—';
  return m.options.map((o) => `\`${o.flag.split(' ')[0]}\`${o.default === undefined ? '' : ` = ${formatDefault(o.default)}`}`).join(', ');
}

/**
 * The Markdown of `docs/methods.md`.
 *
 * @example
 * ```ts
 * methodsMarkdown().includes('| `integrated-gradients` |'); // true
 * ```
 */
export function methodsMarkdown(): string {
  const rows = methodList().map(
    (m) => `| \`${m.name}\` | ${m.kind} | ${cell(m.description)} | ${needsText(m)} | ${displayText(m.display, m.output)} | ${cell(optionsText(m))} |`,
  );
  return [
    '# Attribution methods',
    '',
    'Generated from the method registry (`src/attribution/methods.ts`) by `npm run docs:methods`; do not edit by hand.',
    'Every option is a flag of `lucerna attribute` and `lucerna explain` (explain uses quicker defaults for a few; see `lucerna explain --help`).',
    'The map is drawn one-sided when the method ran with `--abs` or `--relu`. Ranges clip at the 99th percentile.',
    '',
    '| method | kind | what it computes | needs | how the map is drawn | options (default) |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
