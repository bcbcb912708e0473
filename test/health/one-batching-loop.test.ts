/**
 * One batching loop (issue #12): rows are cut into chunks in one place, `chunkRanges` in
 * `src/tensor/chunks.ts` (the batching core `src/engine/batching.ts` runs `forEachChunk` on it,
 * adding cancellation and progress; code that only cuts a list uses `chunkRanges`/`chunkSlices`).
 * This test scans every source file under src/ (comments removed) and fails when a chunk loop is
 * written anywhere else.
 *
 * What counts as a chunk loop (each rule names a shape every hand-written batching loop in the
 * history of src/ had; ordinary loops have none of them):
 * - `stride`: a `for` loop whose tested counter (one its condition reads) advances by a non-constant step
 *   (`i += batch`, `i = i + size`). Ordinary loops step by 1 or by a constant stride (`i += 3`
 *   over RGB triplets); a second cursor beside a counter that steps by 1
 *   (`for (let i = 0, p = 0; i < n; i++, p += channels)`) is not the loop's bound either.
 * - `chunk-count`: a `for` loop bounded by, or an `Array.from` as long as, a count of chunks
 *   `Math.ceil(a / b)` with a non-constant `b` (written inline or in a variable of the same file;
 *   `Math.ceil(n / 2)` halves, it does not count chunks).
 * - `window`: a `while (v < end)` loop that advances `v` by a non-constant step and takes a
 *   window at `v` (`.slice(v…`, `.subarray(v…`, `Math.min(…v…)`). A cursor that only moves
 *   (reading records of a file, a parser) is not flagged.
 * - `flush`: an accumulate-and-flush batch: `if (x.length === n)` or `>= n`, followed within a
 *   few lines by a reset of `x` (or of the object holding it) to an empty array or a new object.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { root } from '../helpers/cli.js';

/** The one file allowed to hold the chunk loop. */
const HOME = 'src/tensor/chunks.ts';
/**
 * Chunk loops still waiting to move onto the core (none now); a listed file that no longer holds
 * one fails the test below, so the list cannot go stale.
 */
const PENDING = new Map<string, string>();

interface Finding {
  readonly line: number;
  readonly rule: 'stride' | 'chunk-count' | 'window' | 'flush';
}

/** `text` with comments blanked (newlines kept, so line numbers hold); strings are left as they are. */
function stripComments(text: string): string {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  return text.replace(/\/\*[\s\S]*?\*\//g, blank).replace(/(^|[^:'"`\\])\/\/[^\n]*/g, (m, pre: string) => pre + blank(m.slice(pre.length)));
}

/** The index just past the bracket that closes the one at `open` (strings skipped). */
function closing(text: string, open: number): number {
  const pairs: Record<string, string> = { '(': ')', '{': '}', '[': ']' };
  const stack: string[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "'" || c === '"' || c === '`') {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (pairs[c]) stack.push(pairs[c] as string);
    else if (c === stack.at(-1)) {
      stack.pop();
      if (stack.length === 0) return i + 1;
    }
  }
  return text.length;
}

/** Splits `text` at the top-level occurrences of `sep`. */
function splitTop(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === sep && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** The loop's body: a braced block, or the single statement after the header. */
function bodyAfter(text: string, at: number): string {
  const rest = text.slice(at);
  const lead = rest.length - rest.trimStart().length;
  return rest.trimStart().startsWith('{') ? text.slice(at + lead, closing(text, at + lead)) : rest.slice(0, rest.indexOf(';') + 1);
}

const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const NUMBER = /^\s*\d+(\.\d+)?\s*$/;

/** True when `update` advances `v` by a non-constant step. */
function variableStep(update: string, v: string): boolean {
  for (const m of update.matchAll(new RegExp(`\\b${literal(v)}\\s*\\+=\\s*([^,;]+)`, 'g'))) if (!NUMBER.test(m[1] as string)) return true;
  for (const m of update.matchAll(new RegExp(`\\b${literal(v)}\\s*=\\s*${literal(v)}\\s*\\+\\s*([^,;]+)`, 'g'))) if (!NUMBER.test(m[1] as string)) return true;
  return false;
}

/** `Math.ceil(a / b)` with a divisor that is not a number literal. */
const CEIL_DIVISION = /Math\.ceil\([^;]*\/(?!\s*\d+(?:\.\d+)?\s*\))/;

/**
 * The chunk loops in one source text, by the rules of this file's header.
 *
 * @example
 * ```ts
 * chunkLoops('for (let i = 0; i < n; i += batch) run(i);'); // [{ line: 1, rule: 'stride' }]
 * ```
 */
function chunkLoops(source: string): Finding[] {
  const text = stripComments(source);
  const lineOf = (at: number) => text.slice(0, at).split('\n').length;
  const findings: Finding[] = [];
  const chunkCounts = new Set(
    [...text.matchAll(/\b(?:const|let)\s+(\w+)\s*=\s*Math\.ceil\(([^;]*)\)\s*;/g)].filter((m) => CEIL_DIVISION.test(m[0])).map((m) => m[1] as string),
  );
  for (const m of text.matchAll(/\bfor\s*\(/g)) {
    const open = (m.index as number) + m[0].length - 1;
    const header = text.slice(open + 1, closing(text, open) - 1);
    const [init = '', condition = '', update = ''] = splitTop(header, ';');
    if (splitTop(header, ';').length !== 3) continue;
    const counters = [...init.matchAll(/(?:^|,)\s*(?:let|var)?\s*(\w+)\s*=/g)]
      .map((c) => c[1] as string)
      .filter((v) => new RegExp(`\\b${v}\\b`).test(condition));
    if (counters.some((v) => variableStep(update, v))) findings.push({ line: lineOf(m.index as number), rule: 'stride' });
    else if (CEIL_DIVISION.test(condition) || [...chunkCounts].some((c) => new RegExp(`<=?\\s*${c}\\b`).test(condition)))
      findings.push({ line: lineOf(m.index as number), rule: 'chunk-count' });
  }
  for (const m of text.matchAll(/Array\.from\(\s*\{\s*length:\s*([^}]*)\}/g)) {
    const length = m[1] as string;
    if (CEIL_DIVISION.test(length) || chunkCounts.has(length.trim())) findings.push({ line: lineOf(m.index as number), rule: 'chunk-count' });
  }
  for (const m of text.matchAll(/\bwhile\s*\(\s*([\w.]+)\s*<=?/g)) {
    const v = m[1] as string;
    const open = (m.index as number) + m[0].indexOf('(');
    const body = bodyAfter(text, closing(text, open));
    const window = new RegExp(`\\.(?:slice|subarray)\\(\\s*${literal(v)}\\b|Math\\.min\\([^;]*\\b${literal(v)}\\b`);
    if (variableStep(body, v) && window.test(body)) findings.push({ line: lineOf(m.index as number), rule: 'window' });
  }
  for (const m of text.matchAll(/\bif\s*\(\s*([\w.]+)\.length\s*(?:===|>=)\s*[\w.]+\s*\)/g)) {
    const base = (m[1] as string).split('.')[0] as string;
    const after = text
      .slice((m.index as number) + m[0].length)
      .split('\n')
      .slice(0, 5)
      .join('\n');
    if (new RegExp(`\\b${literal(base)}\\s*=\\s*(?:\\[\\s*\\]|\\{)`).test(after)) findings.push({ line: lineOf(m.index as number), rule: 'flush' });
  }
  return findings.sort((a, b) => a.line - b.line);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

describe('one batching loop', () => {
  it('src/ holds no chunk loop outside src/tensor/chunks.ts', () => {
    const files = sourceFiles(join(root, 'src'));
    assert.ok(files.length > 100, `found ${files.length} source files`);
    const found = new Map<string, string[]>();
    for (const file of files) {
      const name = relative(root, file);
      if (name === HOME) continue;
      const hits = chunkLoops(readFileSync(file, 'utf8')).map((f) => `${name}:${f.line} (${f.rule})`);
      if (hits.length > 0) found.set(name, hits);
    }
    const unexpected = [...found].filter(([name]) => !PENDING.has(name)).flatMap(([, hits]) => hits);
    assert.deepEqual(unexpected, [], 'cut rows with forEachChunk (engine/batching.ts) or chunkRanges/chunkSlices (tensor/chunks.ts)');
    const gone = [...PENDING.keys()].filter((name) => !found.has(name));
    assert.deepEqual(gone, [], 'these files no longer hold a chunk loop: delete them from PENDING');
  });

  it('finds the one loop in its home, so the scan works', () => {
    assert.deepEqual(
      chunkLoops(readFileSync(join(root, HOME), 'utf8')).map((f) => f.rule),
      ['stride'],
    );
  });

  it('flags each kind of chunk loop', () => {
    const planted: [string, Finding['rule'], number][] = [
      ['for (let start = 0; start < n; start += batch) run(rows.slice(start, start + batch));', 'stride', 1],
      ['for (let first = 0, k = 0; first < total; first += options.batchSize, k++) {\n  await run(first);\n}', 'stride', 1],
      ['for (let i = 0; i < n; i = i + size) out.push(i);', 'stride', 1],
      ['for (let start = 0; start + batch <= total || start === 0; start += batch) await run(start);', 'stride', 1],
      ['for (let c = 0; c < Math.ceil(n / batch); c++) {\n  const first = c * batch;\n}', 'chunk-count', 1],
      ['const chunks = Math.ceil(total / per);\nfor (let c = 0; c < chunks; c++) run(c * per);', 'chunk-count', 2],
      ['const parts = Array.from({ length: Math.ceil(n / size) }, (_, k) => k * size);', 'chunk-count', 1],
      [
        'let offset = 0;\nwhile (offset < total) {\n  const count = Math.min(batch, total - offset);\n  await run(offset, count);\n  offset += count;\n}',
        'window',
        2,
      ],
      ['while (at < rows.length) {\n  out.push(rows.slice(at, at + size));\n  at += size;\n}', 'window', 1],
      [
        'let batch = [];\nfor (const item of items) {\n  batch.push(item);\n  if (batch.length === size) {\n    await flush(batch);\n    batch = [];\n  }\n}',
        'flush',
        4,
      ],
      ['if (current.ids.length >= size) {\n  chunks.push(current);\n  current = { ids: [], skipped: 0 };\n}', 'flush', 1],
    ];
    for (const [code, rule, line] of planted) assert.deepEqual(chunkLoops(code), [{ line, rule }], code);
  });

  it('leaves ordinary loops alone', () => {
    const ordinary = [
      'for (let i = 0; i < n; i++) sum += x[i];',
      'for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) rgba[j] = rgb[i];',
      'for (let c = 0; c < channels; c++) for (let p = c * pixels; p < (c + 1) * pixels; p++) m[p] += 1;',
      'for (let i = 0, p = 0; i < n; i++, p += channels) out[i] = pixels[p];',
      'for (let i = 0; i < Math.ceil(n / 2); i++) nodes[i] = x;',
      'for (const [k, t] of tensors.entries()) data.set(t.data, k * size);',
      'let at = 0;\nwhile (at < end) {\n  const n = await readCount(at);\n  at += 4 * (n + 1);\n}',
      'while (lo < hi) {\n  const mid = (lo + hi) >> 1;\n  if (a[mid] < v) lo = mid + 1;\n  else hi = mid;\n}',
      'while (pos < text.length && text[pos] === " ") pos++;',
      'if (shape.length === rank) return shape;',
      'const perEpoch = Math.ceil(data.size / batchSize);\nconst total = perEpoch * epochs;',
      '// for (let start = 0; start < n; start += batch) in a comment\n/* while (at < n) { x.slice(at); at += k; } */',
      "const url = 'http://host/a'; for (let i = 0; i < 3; i++) go(url);",
    ];
    for (const code of ordinary) assert.deepEqual(chunkLoops(code), [], code);
  });
});
