/**
 * Every VJP rule in the standard table has a finite-difference check: for each op type the table
 * maps, some rule test file (test/rules/*.test.ts, all of which run `gradCheck`) builds a graph
 * with that op. Registering a rule without such a test fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { standardRuleTable } from '../../src/compiler/rules/index.js';
import { root } from '../helpers/cli.js';

const dir = join(root, 'test/rules');
const files = readdirSync(dir).filter((f) => f.endsWith('.test.ts') && f !== 'coverage.test.ts');
const sources = files.map((f) => ({ file: f, text: readFileSync(join(dir, f), 'utf8') }));

/** Whether a test file builds a graph with `op` and checks its gradient by finite differences. */
function checked(op: string): string[] {
  const quoted = new RegExp(`['"\`]${op}['"\`]`);
  return sources.filter((s) => /gradCheck|check\w*\(/.test(s.text) && quoted.test(s.text)).map((s) => s.file);
}

describe('VJP rule coverage', () => {
  it('the rule test files all use the finite-difference helper', () => {
    assert.deepEqual(
      sources.filter((s) => !s.text.includes('helpers/gradcheck.js')).map((s) => s.file),
      [],
    );
  });

  it('every op type of the standard table has a finite-difference test', () => {
    const missing = Object.keys(standardRuleTable).filter((op) => checked(op).length === 0);
    assert.deepEqual(missing, [], `rules without a gradient check: ${missing.join(', ')}`);
  });
});
