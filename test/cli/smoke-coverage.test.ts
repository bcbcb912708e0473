/**
 * Every registered command has its subprocess smoke run (issue #12: one subprocess test per
 * command, the rest in-process): its words open an argument list in test/cli/smoke.test.ts (or,
 * for `attribute`, its Ctrl-C test in attribute-perturbation.test.ts). Registering a command
 * without one fails here. Reads the test sources; runs nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { COMMANDS } from '../../src/cli/main.js';
import { root } from '../helpers/cli.js';

const SUBPROCESS_TESTS = ['test/cli/smoke.test.ts', 'test/cli/attribute-perturbation.test.ts'];

/** An argument list that starts with exactly these words (not a longer subcommand of them). */
function argumentList(words: readonly string[], subcommands: readonly string[]): RegExp {
  const quoted = words.map((w) => `'${w}'`).join(',\\s*');
  const notLonger = subcommands.length > 0 ? `(?!${subcommands.map((s) => `'${s}'`).join('|')})` : '';
  return new RegExp(`\\[\\s*${quoted},\\s*${notLonger}`);
}

it('every registered command has a subprocess smoke run', () => {
  const text = SUBPROCESS_TESTS.map((f) => readFileSync(join(root, f), 'utf8')).join('\n');
  const names = COMMANDS.map((c) => c.name);
  assert.ok(names.length >= 20, 'the registry is read');
  const missing = names.filter((name) => {
    const subcommands = names.filter((n) => n.startsWith(`${name} `)).map((n) => n.slice(name.length + 1).split(' ')[0] as string);
    return !argumentList(name.split(' '), subcommands).test(text);
  });
  assert.deepEqual(missing, [], `commands without a smoke row: ${missing.join(', ')}`);
});
