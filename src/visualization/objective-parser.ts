/**
 * Parses objective expressions: the shorthand `"layer:channel"` and the full algebra, e.g.
 *
 *   conv3:12 - 100 * diversity(conv3)
 *   channel("/layer2/layer2.0/relu/Relu_output_0", 5) + 0.5 * layer(conv4)
 *
 * Grammar (whitespace is free):
 *
 *   expr    := term (('+' | '-') term)*
 *   term    := unary (('*' | '/') unary)*          one side of '*' must be a number; '/' divides by a number
 *   unary   := '-' unary | primary
 *   primary := number | '(' expr ')' | call | name ':' integer
 *   call    := channel(name, c[, batch]) | neuron(name, c[, y, x[, batch]]) | layer(name[, batch])
 *            | direction(name, [v, …][, batch]) | classLogit(k[, batch]) | diversity(name) | sum(expr, …)
 *   name    := "quoted" | 'quoted' | bare        bare names use letters, digits and _ / . : (quote others)
 *
 * A "/" right after a value divides; anywhere else it starts a name, so write `conv1:3 / 2` with
 * spaces. Names with other characters (such as "-" or spaces) must be quoted.
 *
 * A parse error names the column and shows where it stopped.
 */
import { LucernaError } from '../errors.js';
import { channel, classLogit, direction, diversity, layer, neuron, type Objective, sum } from './objectives.js';

type Token =
  | { kind: 'number'; value: number; pos: number; text: string }
  | { kind: 'name'; value: string; pos: number; text: string; quoted: boolean }
  | { kind: 'punct'; value: string; pos: number; text: string }
  | { kind: 'end'; pos: number; text: string };

/** A parse failure at a character offset. */
class ParseFailure {
  constructor(
    readonly pos: number,
    readonly message: string,
  ) {}
}

const NUMBER = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i;
const BARE = /^[A-Za-z0-9_/.:]+/;
const PUNCT = '()[],+-*/';

function readQuoted(text: string, start: number): Token {
  const quote = text[start] as string;
  const end = text.indexOf(quote, start + 1);
  if (end < 0) throw new ParseFailure(start, `the name starting here has no closing ${quote}`);
  return { kind: 'name', value: text.slice(start + 1, end), pos: start, text: text.slice(start, end + 1), quoted: true };
}

function readWord(text: string, pos: number): Token {
  const rest = text.slice(pos);
  const num = NUMBER.exec(rest);
  const bare = BARE.exec(rest);
  if (num && (!bare || bare[0].length <= num[0].length)) return { kind: 'number', value: Number(num[0]), pos, text: num[0] };
  if (bare) return { kind: 'name', value: bare[0], pos, text: bare[0], quoted: false };
  throw new ParseFailure(pos, `unexpected character "${text[pos]}"`);
}

function endsValue(t: Token | undefined): boolean {
  return t !== undefined && (t.kind === 'number' || t.kind === 'name' || (t.kind === 'punct' && (t.value === ')' || t.value === ']')));
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < text.length) {
    const ch = text[pos] as string;
    if (/\s/.test(ch)) {
      pos++;
      continue;
    }
    // "/" divides after a value; elsewhere it starts a name such as /layer1/Relu_output_0
    const divides = ch === '/' && endsValue(tokens.at(-1));
    const punct = PUNCT.includes(ch) && (ch !== '/' || divides);
    const token = punct ? { kind: 'punct' as const, value: ch, pos, text: ch } : ch === '"' || ch === "'" ? readQuoted(text, pos) : readWord(text, pos);
    tokens.push(token);
    pos += token.text.length;
  }
  tokens.push({ kind: 'end', pos: text.length, text: '' });
  return tokens;
}

/** A parsed value: a number or an objective. */
type Value = { kind: 'number'; value: number } | { kind: 'objective'; value: Objective };

const FUNCTIONS = ['channel', 'neuron', 'layer', 'direction', 'classLogit', 'diversity', 'sum'] as const;

class Parser {
  private index = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  private get token(): Token {
    return this.tokens[this.index] as Token;
  }

  private next(): Token {
    const t = this.token;
    if (t.kind !== 'end') this.index++;
    return t;
  }

  private isPunct(value: string): boolean {
    return this.token.kind === 'punct' && this.token.value === value;
  }

  private expect(value: string): void {
    if (!this.isPunct(value)) throw new ParseFailure(this.token.pos, `expected "${value}"${this.found()}`);
    this.next();
  }

  private found(): string {
    return this.token.kind === 'end' ? ' but the expression ended' : ` but found "${this.token.text}"`;
  }

  parseAll(): Objective {
    const start = this.token.pos;
    const v = this.expr();
    if (this.token.kind !== 'end') throw new ParseFailure(this.token.pos, `expected an operator (+, -, *, /)${this.found()}`);
    if (v.kind !== 'objective') throw new ParseFailure(start, 'the expression is a number, not an objective');
    return v.value;
  }

  private expr(): Value {
    let left = this.term();
    while (this.isPunct('+') || this.isPunct('-')) {
      const op = this.next();
      const right = this.term();
      left = { kind: 'objective', value: combine(left, right, op) };
    }
    return left;
  }

  private term(): Value {
    let left = this.unary();
    while (this.isPunct('*') || this.isPunct('/')) {
      const op = this.next();
      const right = this.unary();
      left = scale(left, right, op);
    }
    return left;
  }

  private unary(): Value {
    if (!this.isPunct('-')) return this.primary();
    this.next();
    const v = this.unary();
    return v.kind === 'number' ? { kind: 'number', value: -v.value } : { kind: 'objective', value: v.value.negate() };
  }

  private primary(): Value {
    const t = this.token;
    if (t.kind === 'number') {
      this.next();
      return { kind: 'number', value: t.value };
    }
    if (t.kind === 'punct' && t.value === '(') {
      this.next();
      const v = this.expr();
      this.expect(')');
      return v;
    }
    if (t.kind === 'name') {
      this.next();
      if (!t.quoted && this.isPunct('(')) return { kind: 'objective', value: this.call(t) };
      return { kind: 'objective', value: this.shorthand(t) };
    }
    throw new ParseFailure(t.pos, `expected an objective, such as layer:3 or channel(layer, 3)${this.found()}`);
  }

  /** `name:channel`; quoted names take `:channel` after the closing quote. */
  private shorthand(t: Token & { kind: 'name' }): Objective {
    if (t.quoted) {
      if (!(this.token.kind === 'name' && this.token.value.startsWith(':'))) {
        throw new ParseFailure(this.token.pos, `expected ":channel" after the layer name${this.found()}`);
      }
      const suffix = this.next() as Token & { kind: 'name' };
      return channelAt(t.value, suffix.value.slice(1), suffix.pos + 1);
    }
    const colon = t.value.lastIndexOf(':');
    if (colon < 0)
      throw new ParseFailure(t.pos + t.text.length, `expected ":channel" after the layer name "${t.value}" (or a call such as channel(${t.value}, 0))`);
    return channelAt(t.value.slice(0, colon), t.value.slice(colon + 1), t.pos + colon + 1);
  }

  private call(t: Token & { kind: 'name' }): Objective {
    const fn = t.value as (typeof FUNCTIONS)[number];
    if (!FUNCTIONS.includes(fn)) throw new ParseFailure(t.pos, `unknown function "${t.value}" (known: ${FUNCTIONS.join(', ')})`);
    this.expect('(');
    if (fn === 'sum') return this.sumArgs();
    const args = this.args();
    return buildCall(fn, args, t.pos);
  }

  private sumArgs(): Objective {
    const parts: Objective[] = [];
    do {
      const pos = this.token.pos;
      const v = this.expr();
      if (v.kind !== 'objective') throw new ParseFailure(pos, 'sum() takes objectives, not numbers');
      parts.push(v.value);
    } while (this.isPunct(',') && this.next());
    this.expect(')');
    return sum(parts);
  }

  private args(): Arg[] {
    const args: Arg[] = [];
    if (this.isPunct(')')) {
      this.next();
      return args;
    }
    for (;;) {
      args.push(this.arg());
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      this.expect(')');
      return args;
    }
  }

  private arg(): Arg {
    const t = this.token;
    if (t.kind === 'punct' && t.value === '[') return this.vector();
    if (t.kind === 'punct' && t.value === '-') {
      this.next();
      const n = this.token;
      if (n.kind !== 'number') throw new ParseFailure(n.pos, `expected a number${this.found()}`);
      this.next();
      return { kind: 'number', value: -n.value, pos: t.pos };
    }
    if (t.kind === 'number') {
      this.next();
      return { kind: 'number', value: t.value, pos: t.pos };
    }
    if (t.kind === 'name') {
      this.next();
      return { kind: 'name', value: t.value, pos: t.pos };
    }
    throw new ParseFailure(t.pos, `expected a layer name or a number${this.found()}`);
  }

  private vector(): Arg {
    const pos = this.token.pos;
    this.next();
    const values: number[] = [];
    while (!this.isPunct(']')) {
      const negative = this.isPunct('-');
      if (negative) this.next();
      const sign = negative ? -1 : 1;
      const n = this.token;
      if (n.kind !== 'number') throw new ParseFailure(n.pos, `expected a number in the vector${this.found()}`);
      this.next();
      values.push(sign * n.value);
      if (!this.isPunct(']')) this.expect(',');
    }
    this.next();
    return { kind: 'vector', value: values, pos };
  }
}

type Arg = { kind: 'number'; value: number; pos: number } | { kind: 'name'; value: string; pos: number } | { kind: 'vector'; value: number[]; pos: number };

function channelAt(layerName: string, digits: string, pos: number): Objective {
  if (layerName === '') throw new ParseFailure(pos - 1, 'expected a layer name before ":"');
  if (!/^\d+$/.test(digits)) throw new ParseFailure(pos, `expected a channel number after ":"${digits ? `, got "${digits}"` : ''}`);
  return channel(layerName, Number(digits));
}

function combine(left: Value, right: Value, op: Token): Objective {
  if (left.kind !== 'objective' || right.kind !== 'objective') {
    throw new ParseFailure(op.pos, `"${op.text}" needs objectives on both sides; scale with * instead of adding a number`);
  }
  return op.text === '+' ? left.value.plus(right.value) : left.value.minus(right.value);
}

function scale(left: Value, right: Value, op: Token): Value {
  if (op.text === '/') {
    if (right.kind !== 'number' || right.value === 0) throw new ParseFailure(op.pos, '"/" divides by a non-zero number only');
    return left.kind === 'number' ? { kind: 'number', value: left.value / right.value } : { kind: 'objective', value: left.value.times(1 / right.value) };
  }
  if (left.kind === 'number' && right.kind === 'number') return { kind: 'number', value: left.value * right.value };
  if (left.kind === 'number' && right.kind === 'objective') return { kind: 'objective', value: right.value.times(left.value) };
  if (left.kind === 'objective' && right.kind === 'number') return { kind: 'objective', value: left.value.times(right.value) };
  throw new ParseFailure(op.pos, '"*" multiplies an objective by a number, not by another objective');
}

function argAt(args: readonly Arg[], i: number, kind: Arg['kind'], what: string, callPos: number): Arg {
  const a = args[i];
  if (!a) throw new ParseFailure(callPos, `missing ${what}`);
  if (a.kind !== kind) throw new ParseFailure(a.pos, `expected ${what}`);
  return a;
}

function nameArg(args: readonly Arg[], i: number, callPos: number): string {
  const a = args[i];
  if (a && a.kind === 'number') return String(a.value);
  return argAt(args, i, 'name', 'a layer name', callPos).value as string;
}

function intArg(args: readonly Arg[], i: number, what: string, callPos: number): number {
  const a = argAt(args, i, 'number', what, callPos) as Arg & { kind: 'number' };
  if (!Number.isInteger(a.value) || a.value < 0) throw new ParseFailure(a.pos, `${what} must be a whole number ≥ 0`);
  return a.value;
}

function optionalInt(args: readonly Arg[], i: number, what: string, callPos: number): number | undefined {
  return args[i] === undefined ? undefined : intArg(args, i, what, callPos);
}

function checkArity(args: readonly Arg[], allowed: readonly number[], fn: string, callPos: number): void {
  if (!allowed.includes(args.length)) {
    const pos = args[Math.max(...allowed)]?.pos ?? callPos;
    throw new ParseFailure(pos, `${fn}() takes ${allowed.join(' or ')} arguments, got ${args.length}`);
  }
}

function buildCall(fn: Exclude<(typeof FUNCTIONS)[number], 'sum'>, args: readonly Arg[], pos: number): Objective {
  switch (fn) {
    case 'channel':
      checkArity(args, [2, 3], fn, pos);
      return channel(nameArg(args, 0, pos), intArg(args, 1, 'a channel', pos), { batch: optionalInt(args, 2, 'a batch index', pos) });
    case 'neuron': {
      checkArity(args, [2, 4, 5], fn, pos);
      const at = args.length >= 4 ? { y: intArg(args, 2, 'a row', pos), x: intArg(args, 3, 'a column', pos) } : {};
      return neuron(nameArg(args, 0, pos), intArg(args, 1, 'a channel', pos), { ...at, batch: optionalInt(args, 4, 'a batch index', pos) });
    }
    case 'layer':
      checkArity(args, [1, 2], fn, pos);
      return layer(nameArg(args, 0, pos), { batch: optionalInt(args, 1, 'a batch index', pos) });
    case 'direction': {
      checkArity(args, [2, 3], fn, pos);
      const v = argAt(args, 1, 'vector', 'a vector such as [0.5, -1, 2]', pos).value as number[];
      return direction(nameArg(args, 0, pos), v, { batch: optionalInt(args, 2, 'a batch index', pos) });
    }
    case 'classLogit':
      checkArity(args, [1, 2], fn, pos);
      return classLogit(intArg(args, 0, 'a class index', pos), { batch: optionalInt(args, 1, 'a batch index', pos) });
    case 'diversity':
      checkArity(args, [1], fn, pos);
      return diversity(nameArg(args, 0, pos));
  }
}

/** The expression with a marker where parsing stopped, shortened around it. */
function pointAt(text: string, pos: number): string {
  const before = text.slice(Math.max(0, pos - 40), pos);
  const after = text.slice(pos, pos + 20);
  return `${pos > 40 ? '…' : ''}${before}⟨here⟩${after}${pos + 20 < text.length ? '…' : ''}`;
}

/**
 * Parses an objective expression or the `"layer:channel"` shorthand. A syntax error is one line
 * that names the column and marks the spot.
 *
 * @example
 * ```ts
 * parseObjective('conv3:12 - 100 * diversity(conv3)');
 * parseObjective('"/features/0/Conv_output_0":4');
 * parseObjective('channel(conv1, 3'); // throws: … does not parse at column 17: expected ")" …
 * ```
 */
export function parseObjective(text: string): Objective {
  try {
    if (text.trim() === '') throw new ParseFailure(0, 'the expression is empty');
    return new Parser(tokenize(text)).parseAll();
  } catch (e) {
    if (!(e instanceof ParseFailure)) throw e;
    throw new LucernaError('BAD_OPTION', `The objective does not parse at column ${e.pos + 1}: ${e.message}`, `At: ${pointAt(text, e.pos)}`);
  }
}
